/* Warden demo web UI: nav highlighting, live status, settings and firmware
   upload through warden's proxy to the demo backend (/api/...). No inline
   script or style anywhere: the Content-Security-Policy forbids them.
   <body data-state="ready"> is set once a page's initial fetch has completed
   (the browser test waits for it). */
(function () {
  'use strict';

  var MAX_FIRMWARE = 64 * 1024 * 1024; // warden's --proxy-max-body /api/firmware=64M in the demo

  // fetch with the page's login (the browser sends the Basic credentials it
  // holds for this site): the answer's JSON, or an Error with the backend's
  // message ({"error": "..."}) or the HTTP status.
  function api(method, path, body, type) {
    var init = { method: method, credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } };
    if (body !== undefined) {
      init.body = body;
      init.headers['Content-Type'] = type;
    }
    return fetch(path, init).then(function (r) {
      return r.text().then(function (text) {
        var data = null;
        try { data = JSON.parse(text); } catch (e) { data = null; }
        if (!r.ok) {
          throw new Error((data && typeof data.error === 'string' && data.error) ||
            (r.status + (r.statusText ? ' ' + r.statusText : '')));
        }
        if (data === null || typeof data !== 'object') throw new Error('the answer is not JSON');
        return data;
      });
    }, function () {
      throw new Error('no answer from the server (connection failed or closed)');
    });
  }

  function ready() {
    document.body.setAttribute('data-state', 'ready');
  }

  function setText(id, text) {
    var el = document.getElementById(id);
    if (el) el.textContent = text;
  }

  function show(el, text, bad) {
    el.textContent = text;
    el.className = bad ? 'msg bad' : 'msg';
    el.hidden = false;
  }

  function isNum(x) {
    return typeof x === 'number' && isFinite(x);
  }

  function duration(s) {
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600);
    var m = Math.floor(s % 3600 / 60), sec = s % 60;
    var two = function (n) { return (n < 10 ? '0' : '') + n; };
    return (d ? d + (d === 1 ? ' day, ' : ' days, ') : '') + two(h) + ':' + two(m) + ':' + two(sec);
  }

  function mib(kib) {
    return Math.round(kib / 1024) + ' MiB';
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

  // ---------------------------------------------------------------- Status
  // Live values from GET /api/status, refreshed every 5 s (the next request
  // is scheduled when the previous one finished: never two in flight).
  function statusPage() {
    var msg = document.getElementById('st-msg');
    var first = true;
    var refresh = function () {
      api('GET', '/api/status').then(function (st) {
        setText('st-hostname', String(st.hostname));
        setText('st-uptime', isNum(st.uptime_s) ? duration(Math.floor(st.uptime_s)) : '?');
        setText('st-load', Array.isArray(st.load) && st.load.every(isNum) ?
          st.load.map(function (x) { return x.toFixed(2); }).join(', ') : '?');
        setText('st-mem', isNum(st.mem_available_kib) && isNum(st.mem_total_kib) ?
          mib(st.mem_available_kib) + ' of ' + mib(st.mem_total_kib) : '?');
        setText('st-user', typeof st.user === 'string' && st.user ? st.user : '(not logged in)');
        if (isNum(st.settings_saved)) setText('st-saved', String(st.settings_saved));
        msg.hidden = true;
      }, function (err) {
        show(msg, 'Error: status unavailable: ' + err.message, true);
      }).then(function () {
        if (first) {
          first = false;
          ready();
        }
        setTimeout(refresh, 5000);
      });
    };
    refresh();
  }

  // ---------------------------------------------------------------- Network
  function ipToInt(s) {
    var m = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/.exec(s);
    if (!m) return null;
    var n = 0;
    for (var j = 1; j <= 4; j++) {
      var o = Number(m[j]);
      if (o > 255) return null;
      n = n * 256 + o;
    }
    return n;
  }

  function intToIp(n) {
    return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  }

  // The prefix length of a contiguous netmask, or null.
  function prefixOf(mask) {
    if (mask === null) return null;
    var inv = 0xFFFFFFFF - mask; // host bits must be contiguous low ones
    if ((inv & (inv + 1)) !== 0) return null;
    var p = 32;
    while (inv > 0) { inv = Math.floor(inv / 2); p--; }
    return p;
  }

  function wholeNumber(s) {
    return /^\d{1,9}$/.test(s) ? Number(s) : null;
  }

  var LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

  function networkPage(form) {
    var f = form.elements;
    var result = document.getElementById('net-result');
    var save = document.getElementById('net-save');
    var pool = document.getElementById('dhcp-pool');

    var clearErrors = function () {
      var old = form.querySelectorAll('.err');
      for (var k = 0; k < old.length; k++) old[k].parentNode.removeChild(old[k]);
      var bad = form.querySelectorAll('.invalid');
      for (k = 0; k < bad.length; k++) {
        bad[k].classList.remove('invalid');
        bad[k].removeAttribute('aria-invalid');
      }
    };

    var fail = function (input, text) {
      input.classList.add('invalid');
      input.setAttribute('aria-invalid', 'true');
      var p = document.createElement('p');
      p.className = 'err';
      p.textContent = text;
      input.parentNode.insertBefore(p, input.nextSibling);
    };

    // The DHCP pool the fields describe, as a hint under them.
    var showPool = function () {
      var ip = ipToInt(f.lan_ip.value.trim());
      var mask = ipToInt(f.netmask.value.trim());
      var start = wholeNumber(f.dhcp_start.value.trim());
      var limit = wholeNumber(f.dhcp_limit.value.trim());
      var prefix = prefixOf(mask);
      if (!f.dhcp_enabled.checked) {
        pool.textContent = 'DHCP is off: LAN clients need static addresses.';
      } else if (ip === null || prefix === null || start === null || limit === null || limit < 1) {
        pool.textContent = '';
      } else {
        var net = ip - ip % Math.pow(2, 32 - prefix);
        pool.textContent = 'Pool: ' + intToIp(net + start) + ' to ' + intToIp(net + start + limit - 1) +
          ' (' + limit + (limit === 1 ? ' address)' : ' addresses)');
      }
    };

    var fill = function (s) {
      f.hostname.value = s.hostname;
      f.lan_ip.value = s.lan_ip;
      f.netmask.value = s.netmask;
      f.dhcp_enabled.checked = s.dhcp_enabled === true;
      f.dhcp_start.value = String(s.dhcp_start);
      f.dhcp_limit.value = String(s.dhcp_limit);
      showPool();
    };

    var load = function () {
      save.disabled = true;
      return api('GET', '/api/settings').then(function (s) {
        fill(s);
        save.disabled = false;
      }, function (err) {
        show(result, 'Error: cannot load the settings: ' + err.message, true);
      });
    };

    // Checked here for quick feedback; the backend checks again and has the last word.
    var collect = function () {
      var ok = true;
      var host = f.hostname.value.trim();
      var ip = ipToInt(f.lan_ip.value.trim());
      var mask = ipToInt(f.netmask.value.trim());
      var prefix = prefixOf(mask);
      var start = wholeNumber(f.dhcp_start.value.trim());
      var limit = wholeNumber(f.dhcp_limit.value.trim());

      if (host === '' || host.length > 63 || !host.split('.').every(function (l) { return LABEL.test(l); })) {
        fail(f.hostname, 'Letters, digits and "-" in dot-separated labels, at most 63 characters.'); ok = false;
      }
      if (ip === null) { fail(f.lan_ip, 'Enter an IPv4 address, e.g. 192.168.1.1.'); ok = false; }
      if (prefix === null || prefix < 8 || prefix > 30) {
        fail(f.netmask, 'Enter a netmask from 255.0.0.0 to 255.255.255.252.'); ok = false;
      }
      if (start === null) { fail(f.dhcp_start, 'Enter a whole number.'); ok = false; }
      if (limit === null) { fail(f.dhcp_limit, 'Enter a whole number.'); ok = false; }
      if (ok) {
        var size = Math.pow(2, 32 - prefix);
        var hosts = size - 2;
        var offset = ip % size;
        if (offset === 0 || offset === size - 1) {
          fail(f.lan_ip, 'This is the subnet\'s network or broadcast address.'); ok = false;
        }
        if (start < 1 || start > hosts) {
          fail(f.dhcp_start, 'Must be from 1 to ' + hosts + ' for this netmask.'); ok = false;
        } else if (limit < 1 || start + limit - 1 > hosts) {
          fail(f.dhcp_limit, 'Must be from 1 to ' + (hosts - start + 1) + ' with this start.'); ok = false;
        }
      }
      if (!ok) return null;
      return {
        hostname: host,
        lan_ip: f.lan_ip.value.trim(),
        netmask: f.netmask.value.trim(),
        dhcp_enabled: f.dhcp_enabled.checked,
        dhcp_start: start,
        dhcp_limit: limit
      };
    };

    form.addEventListener('input', showPool);
    form.addEventListener('change', showPool);

    form.addEventListener('submit', function (e) {
      e.preventDefault();
      clearErrors();
      var settings = collect();
      if (!settings) {
        show(result, 'Error: please fix the highlighted fields.', true);
        return;
      }
      save.disabled = true;
      show(result, 'Saving…', false);
      api('POST', '/api/settings', JSON.stringify(settings), 'application/json').then(function (saved) {
        fill(saved);
        show(result, 'Saved.', false);
      }, function (err) {
        show(result, 'Error: ' + err.message, true);
      }).then(function () {
        save.disabled = false;
      });
    });

    // The Reload button: the backend's current settings again.
    form.addEventListener('reset', function (e) {
      e.preventDefault();
      clearErrors();
      result.hidden = true;
      load();
    });

    load().then(ready);
  }

  // ---------------------------------------------------------------- Firmware
  function firmwarePage(form) {
    var input = document.getElementById('fw-file');
    var button = document.getElementById('fw-upload');
    var result = document.getElementById('fw-result');

    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var file = input.files && input.files[0];
      if (!file) {
        show(result, 'Error: choose a firmware image first.', true);
        return;
      }
      if (file.size === 0) {
        show(result, 'Error: "' + file.name + '" is empty.', true);
        return;
      }
      if (file.size > MAX_FIRMWARE) {
        show(result, 'Error: "' + file.name + '" is ' + file.size + ' bytes; at most ' + MAX_FIRMWARE + ' bytes.', true);
        return;
      }
      button.disabled = true;
      show(result, 'Uploading "' + file.name + '" (' + file.size + ' bytes)…', false);
      api('POST', '/api/firmware', file, 'application/octet-stream').then(function (r) {
        if (!isNum(r.size) || typeof r.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(r.sha256)) {
          throw new Error('unexpected answer from the backend');
        }
        var note = r.size === file.size ? '' : ' (the file has ' + file.size + ' bytes!)';
        show(result, 'Checked "' + file.name + '": size ' + r.size + ' bytes, SHA-256 ' + r.sha256 + note +
          '. The demo stores nothing.', r.size !== file.size);
      }).then(null, function (err) {
        show(result, 'Error: ' + err.message, true);
      }).then(function () {
        button.disabled = false;
      });
    });
    ready(); // nothing to fetch first
  }

  var net = document.getElementById('net-form');
  var fw = document.getElementById('fw-form');
  if (document.getElementById('st-uptime')) statusPage();
  else if (net) networkPage(net);
  else if (fw) firmwarePage(fw);
  else ready();
})();
