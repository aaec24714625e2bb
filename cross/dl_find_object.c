/* _dl_find_object for musl. gcc 12's DWARF unwinder (Debian's libgcc_eh.a, built against
 * glibc 2.36) calls this glibc-only function; here it is over musl's dl_iterate_phdr.
 * cross/debian-toolchain appends it to libunwind.a of the aarch64 and mipsel musl targets. */
#define _GNU_SOURCE
#include <link.h>
#include <stdint.h>
#include <stddef.h>
struct dl_find_object {                 /* glibc layout, no eh_dbase/eh_count */
    unsigned long long dlfo_flags;
    void *dlfo_map_start, *dlfo_map_end, *dlfo_link_map, *dlfo_eh_frame;
    unsigned long long dlfo_reserved[7];
};
struct ctx { uintptr_t pc; struct dl_find_object *out; int found; };
static int cb(struct dl_phdr_info *info, size_t size, void *data)
{
    struct ctx *c = data;
    const ElfW(Phdr) *eh = NULL;
    uintptr_t lo = 0, hi = 0;
    int hit = 0;
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        if (p->p_type == PT_LOAD) {
            uintptr_t s = info->dlpi_addr + p->p_vaddr, e = s + p->p_memsz;
            if (c->pc >= s && c->pc < e) { hit = 1; lo = s; hi = e; }
        } else if (p->p_type == PT_GNU_EH_FRAME) {
            eh = p;
        }
    }
    if (!hit) return 0;
    c->out->dlfo_flags = 0;
    c->out->dlfo_map_start = (void *)lo;
    c->out->dlfo_map_end = (void *)hi;
    c->out->dlfo_link_map = NULL;
    c->out->dlfo_eh_frame = eh ? (void *)(info->dlpi_addr + eh->p_vaddr) : NULL;
    c->found = 1;
    return 1;
}
int _dl_find_object(void *pc, struct dl_find_object *out)
{
    struct ctx c = { (uintptr_t)pc, out, 0 };
    dl_iterate_phdr(cb, &c);
    return c.found ? 0 : -1;
}
