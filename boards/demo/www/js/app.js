/* Warden demo web UI: nav highlighting, live status, settings and firmware
   upload through warden's proxy to the demo backend (/api/...). No inline
   script or style anywhere: the Content-Security-Policy forbids them. */
(function () {
  'use strict';

  var FIELDS = ['hostname', 'lan_ip', 'netmask', 'dhcp_start', 'dhcp_end', 'ssid', 'channel'];

  // fetch with the page's login (the browser sends the Basic credentials it
  // holds for this site); the answer's JSON, or an Error with its message.
  function api(method, path, body, type) {
    var init = { method: method, credentials: 'same-origin', headers: {} };
    if (body !== undefined) {
      init.body = body;
      init.headers['Content-Type'] = type;
    }
    return fetch(path, init).then(function (r) {
      return r.text().then(function (text) {
        var data = null;
        try { data = JSON.parse(text); } catch (e) { data = null; }
        if (!r.ok) throw new Error((data && data.error) || (r.status + ' ' + r.statusText));
        return data;
      });
    });
  }

  function ready() {
    document.body.setAttribute('data-state', 'ready');
  }

  function setText(id, text) {
    var el = document.getElementById(id);
    if (el) el.textContent = text;
  }

  function duration(s) {
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600);
    var m = Math.floor(s % 3600 / 60), sec = s % 60;
    var two = function (n) { return (n < 10 ? '0' : '') + n; };
    return (d ? d + (d === 1 ? ' day, ' : ' days, ') : '') + two(h) + ':' + two(m) + ':' + two(sec);
  }

  // Status page: live values, refreshed every 5 s.
  if (document.getElementById('st-uptime')) {
    var stMsg = document.getElementById('st-msg');
    var refresh = function () {
      return api('GET', '/api/status').then(function (st) {
        setText('st-hostname', st.hostname);
        setText('st-uptime', duration(st.uptime_s));
        setText('st-load', st.load.map(function (x) { return x.toFixed(2); }).join(', '));
        setText('st-mem', Math.round(st.mem_available_kib / 1024) + ' MiB of ' +
          Math.round(st.mem_total_kib / 1024) + ' MiB');
        setText('st-user', st.user || '(not logged in)');
        stMsg.hidden = true;
      }, function (err) {
        stMsg.textContent = 'Status unavailable: ' + err.message;
        stMsg.hidden = false;
      });
    };
    refresh().then(ready, ready);
    setInterval(refresh, 5000);
  }

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
  var fill = function (settings) {
    FIELDS.forEach(function (name) {
      if (net.elements[name] && settings[name] !== undefined) net.elements[name].value = settings[name];
    });
  };
  if (net) {
    var netMsg = document.getElementById('net-result');
    api('GET', '/api/settings').then(fill, function (err) {
      show(netMsg, 'Error: cannot load the settings: ' + err.message, true);
    }).then(ready, ready);
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

      if (!ok) {
        show(netMsg, 'Error: please fix the highlighted fields.', true);
        return;
      }
      var settings = {};
      FIELDS.forEach(function (name) { settings[name] = f[name].value.trim(); });
      api('POST', '/api/settings', JSON.stringify(settings), 'application/json').then(function (saved) {
        fill(saved);
        show(netMsg, 'Saved.', false);
      }, function (err) {
        show(netMsg, 'Error: ' + err.message, true);
      });
    });
    net.addEventListener('reset', function (e) {
      e.preventDefault();
      clearErrors(net);
      netMsg.hidden = true;
      api('GET', '/api/settings').then(fill);
    });
  }

  var fw = document.getElementById('fw-form');
  if (fw) {
    var fwMsg = document.getElementById('fw-result');
    fw.addEventListener('submit', function (e) {
      e.preventDefault();
      var file = fw.elements.image.files[0];
      if (!file) {
        show(fwMsg, 'Error: choose a firmware image first.', true);
        return;
      }
      show(fwMsg, 'Uploading "' + file.name + '" (' + file.size + ' bytes)…', false);
      api('POST', '/api/firmware', file, 'application/octet-stream').then(function (r) {
        show(fwMsg, 'Checked "' + file.name + '": size ' + r.size + ' bytes, SHA-256 ' + r.sha256 +
          ' (the demo stores nothing).', false);
      }, function (err) {
        show(fwMsg, 'Error: ' + err.message, true);
      });
    });
  }
  if (!document.getElementById('st-uptime') && !net) ready();
})();
