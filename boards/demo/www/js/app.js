/* Warden demo web UI: nav highlighting, form validation, demo messages. */
(function () {
  'use strict';

  var DEMO = 'Demo only: nothing is saved.';

  // Highlight the nav link for the current page.
  var page = location.pathname.split('/').pop() || 'index.html';
  var links = document.querySelectorAll('nav a');
  for (var i = 0; i < links.length; i++) {
    if (links[i].getAttribute('href') === page) {
      links[i].className = 'active';
      links[i].setAttribute('aria-current', 'page');
    }
  }

  function ipToInt(s) {
    var m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
    if (!m) return null;
    var n = 0;
    for (var j = 1; j <= 4; j++) {
      var o = Number(m[j]);
      if (o > 255 || (m[j].length > 1 && m[j][0] === '0')) return null;
      n = n * 256 + o;
    }
    return n;
  }

  function isMask(n) {
    if (n === null || n === 0) return false;
    var inv = 0xFFFFFFFF - n; // host bits must be contiguous low ones
    return (inv & (inv + 1)) === 0;
  }

  function show(el, text, bad) {
    el.textContent = text;
    el.className = bad ? 'msg bad' : 'msg';
    el.hidden = false;
  }

  function clearErrors(form) {
    var old = form.querySelectorAll('.err');
    for (var k = 0; k < old.length; k++) old[k].parentNode.removeChild(old[k]);
    var bad = form.querySelectorAll('.invalid');
    for (k = 0; k < bad.length; k++) {
      bad[k].classList.remove('invalid');
      bad[k].removeAttribute('aria-invalid');
    }
  }

  function fail(input, text) {
    input.classList.add('invalid');
    input.setAttribute('aria-invalid', 'true');
    var p = document.createElement('p');
    p.className = 'err';
    p.textContent = text;
    input.parentNode.insertBefore(p, input.nextSibling);
  }

  var net = document.getElementById('net-form');
  if (net) {
    var netMsg = document.getElementById('net-msg');
    net.addEventListener('submit', function (e) {
      e.preventDefault();
      clearErrors(net);
      var f = net.elements;
      var ip = ipToInt(f.lan_ip.value);
      var mask = ipToInt(f.netmask.value);
      var start = ipToInt(f.dhcp_start.value);
      var end = ipToInt(f.dhcp_end.value);
      var ok = true;

      if (ip === null) { fail(f.lan_ip, 'Enter a valid IPv4 address.'); ok = false; }
      if (!isMask(mask)) { fail(f.netmask, 'Enter a valid netmask, e.g. 255.255.255.0.'); ok = false; }
      if (start === null) { fail(f.dhcp_start, 'Enter a valid IPv4 address.'); ok = false; }
      if (end === null) { fail(f.dhcp_end, 'Enter a valid IPv4 address.'); ok = false; }

      if (ok) {
        var net0 = ip - (ip % (0xFFFFFFFF - mask + 1));
        var bcast = net0 + (0xFFFFFFFF - mask);
        if (ip === net0 || ip === bcast) {
          fail(f.lan_ip, 'Address is the network or broadcast address.'); ok = false;
        }
        if (start <= net0 || start >= bcast) {
          fail(f.dhcp_start, 'Start must be inside the LAN subnet.'); ok = false;
        }
        if (end <= net0 || end >= bcast) {
          fail(f.dhcp_end, 'End must be inside the LAN subnet.'); ok = false;
        } else if (end < start) {
          fail(f.dhcp_end, 'End must not be below start.'); ok = false;
        }
        if (ok && ip >= start && ip <= end) {
          fail(f.dhcp_start, 'Range must not include the LAN IP.'); ok = false;
        }
      }

      var ssid = f.ssid.value;
      var bytes = new TextEncoder().encode(ssid).length;
      if (ssid.trim() === '' || bytes > 32) {
        fail(f.ssid, 'SSID must be 1 to 32 bytes.'); ok = false;
      }

      if (ok) show(netMsg, 'Settings are valid. ' + DEMO, false);
      else show(netMsg, 'Please fix the highlighted fields.', true);
    });
    net.addEventListener('reset', function () {
      clearErrors(net);
      netMsg.hidden = true;
    });
  }

  var fw = document.getElementById('fw-form');
  if (fw) {
    var fwMsg = document.getElementById('fw-msg');
    fw.addEventListener('submit', function (e) {
      e.preventDefault();
      var file = fw.elements.image.files[0];
      if (!file) show(fwMsg, 'Choose a firmware image first. ' + DEMO, true);
      else show(fwMsg, 'Would upgrade with "' + file.name + '" (' + file.size + ' bytes). ' + DEMO, false);
    });
  }
})();
