include $(sort $(wildcard $(BR2_EXTERNAL_WARDEN_PATH)/*/*.mk))
