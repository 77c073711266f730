/* testigo in-page verifier: checks the page on screen against the signed log, in the reader's browser.
 *
 * Plain JavaScript, no library and no build step: SHA-256 and Ed25519 come from the browser's own
 * WebCrypto (crypto.subtle). It reads the log from log/checkpoints.js (window.testigoLog) and the
 * page's entries from its <script class="verify-data">, both loaded without fetch, so it works
 * from file://. Over http(s) it also fetches the page's images to hash them; from file:// the
 * reader picks them. The formats are those of testigo.ledger: c2sp.org/signed-note,
 * tlog-checkpoint and tlog-cosignature, RFC 9162 hashing (docs/bundle-format.md).
 */
(function () {
  "use strict";

  var LOG_KEY = 0x01;
  var COSIGNATURE_V1 = 0x04;
  var encoder = new TextEncoder();

  function bytes() {
    var parts = Array.prototype.slice.call(arguments);
    var length = parts.reduce(function (n, p) { return n + p.length; }, 0);
    var out = new Uint8Array(length);
    var at = 0;
    parts.forEach(function (p) { out.set(p, at); at += p.length; });
    return out;
  }

  function toHex(data) {
    return Array.from(data, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  function fromHex(text) {
    if (!/^([0-9a-f]{2})*$/.test(text)) throw new Error("'" + text + "' is not hexadecimal");
    var out = new Uint8Array(text.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(text.substr(2 * i, 2), 16);
    return out;
  }

  function fromBase64(text) {
    var raw = atob(text); // throws on invalid base64
    return Uint8Array.from(raw, function (c) { return c.charCodeAt(0); });
  }

  function same(a, b) {
    return a.length === b.length && a.every(function (x, i) { return x === b[i]; });
  }

  async function sha256(data) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  }

  /* --- Keys and signed notes (c2sp.org/signed-note, tlog-cosignature). */

  /* A verifier key "<name>+<8 hex key id>+<base64(type || 32-byte Ed25519 key)>", its id checked. */
  async function parseKey(text, type) {
    text = text.trim();
    var first = text.indexOf("+");
    var second = text.indexOf("+", first + 1);
    if (first < 1 || second !== first + 9) throw new Error("'" + text + "' is not <name>+<8 hex digits>+<base64 key>");
    var name = text.slice(0, first);
    var id = text.slice(first + 1, second).toLowerCase();
    var data = fromBase64(text.slice(second + 1));
    if (data.length !== 33 || data[0] !== type) {
      throw new Error("'" + name + "' is not an Ed25519 " + (type === LOG_KEY ? "log key (type 01)" : "witness key (type 04)"));
    }
    var computed = toHex((await sha256(bytes(encoder.encode(name + "\n"), data))).slice(0, 4));
    if (computed !== id) throw new Error("key '" + name + "' says key id " + id + " but its public key gives " + computed);
    var key;
    try {
      key = await crypto.subtle.importKey("raw", data.slice(1), { name: "Ed25519" }, false, ["verify"]);
    } catch (error) {
      throw new Error("this browser's cryptography has no Ed25519 (Chromium 137, Firefox 129, Safari 17 or later have it)");
    }
    return { name: name, id: id, key: key, text: text };
  }

  /* A note's text (up to the blank line) and its signature lines: name, key id (hex) and signature bytes. */
  function parseNote(note) {
    var split = note.lastIndexOf("\n\n");
    if (split < 0 || !note.endsWith("\n")) throw new Error("the checkpoint is not a signed note");
    var lines = note.slice(split + 2, -1).split("\n");
    var signatures = lines.map(function (line, i) {
      var parts = line.split(" ");
      if (parts.length !== 3 || parts[0] !== "\u2014") throw new Error("signature line " + (i + 1) + " is malformed");
      var raw = fromBase64(parts[2]);
      return { name: parts[1], id: toHex(raw.slice(0, 4)), signature: raw.slice(4) };
    });
    return { text: note.slice(0, split + 1), signatures: signatures };
  }

  function parseCheckpoint(text) {
    var lines = text.slice(0, -1).split("\n");
    if (lines.length < 3 || !/^(0|[1-9][0-9]*)$/.test(lines[1])) throw new Error("the checkpoint text is malformed");
    return { origin: lines[0], size: Number(lines[1]), root: fromBase64(lines[2]) };
  }

  /* The checkpoint of a signed note, once the log key's signature on it verified; throws otherwise. */
  async function verifiedCheckpoint(note, logKey) {
    var parsed = parseNote(note);
    var mine = parsed.signatures.filter(function (s) { return s.name === logKey.name && s.id === logKey.id; });
    if (!mine.length) throw new Error("it is not signed by the log key " + logKey.name + "+" + logKey.id);
    for (var i = 0; i < mine.length; i++) {
      var ok = await crypto.subtle.verify({ name: "Ed25519" }, logKey.key, mine[i].signature, encoder.encode(parsed.text));
      if (!ok) throw new Error("the log key's signature does not verify: the checkpoint was altered or forged");
    }
    var checkpoint = parseCheckpoint(parsed.text);
    if (checkpoint.origin !== logKey.name) {
      throw new Error("it is a checkpoint of the log '" + checkpoint.origin + "', not of '" + logKey.name + "'");
    }
    return checkpoint;
  }

  /* Each signature line of the note but the log's: by a given witness key (verified, with its time) or by an unknown one. */
  async function cosignatures(note, logKey, witnessKeys) {
    var parsed = parseNote(note);
    var found = [];
    for (var i = 0; i < parsed.signatures.length; i++) {
      var s = parsed.signatures[i];
      if (s.name === logKey.name && s.id === logKey.id) continue;
      var key = witnessKeys.find(function (k) { return k.name === s.name && k.id === s.id; });
      if (!key) {
        found.push({ name: s.name, id: s.id, known: false });
        continue;
      }
      var time = s.signature.length === 72 ? new DataView(s.signature.buffer, s.signature.byteOffset, 8).getBigUint64(0) : null;
      var ok = time !== null && await crypto.subtle.verify(
        { name: "Ed25519" }, key.key, s.signature.slice(8),
        encoder.encode("cosignature/v1\ntime " + time + "\n" + parsed.text));
      found.push({ name: s.name, id: s.id, known: true, ok: ok, time: time === null ? null : Number(time), source: key.source });
    }
    return found;
  }

  /* --- RFC 9162 hashing and proofs, as testigo.ledger.merkle computes them. */

  function leafHash(entry) { return sha256(bytes(new Uint8Array([0]), entry)); }
  function nodeHash(left, right) { return sha256(bytes(new Uint8Array([1]), left, right)); }

  /* The root an inclusion proof yields for leaf `index` of a tree of `size` (RFC 9162 §2.1.3.2). */
  async function inclusionRoot(index, size, leaf, proof) {
    if (!(index >= 0 && index < size)) throw new Error("leaf " + index + " is outside the tree of size " + size);
    var fn = index, sn = size - 1, root = leaf;
    for (var i = 0; i < proof.length; i++) {
      if (sn === 0) throw new Error("the inclusion proof is too long");
      if (fn % 2 === 1 || fn === sn) {
        root = await nodeHash(proof[i], root);
        while (fn !== 0 && fn % 2 === 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        root = await nodeHash(root, proof[i]);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    if (sn !== 0) throw new Error("the inclusion proof is too short");
    return root;
  }

  /* Whether the tree of oldSize with oldRoot is a prefix of the one of newSize with newRoot (RFC 9162 §2.1.4.2). */
  async function consistent(oldSize, newSize, proof, oldRoot, newRoot) {
    if (oldSize === newSize) return proof.length === 0 && same(oldRoot, newRoot);
    if (oldSize === 0 || oldSize > newSize) return false;
    if ((oldSize & (oldSize - 1)) === 0) proof = [oldRoot].concat(proof);
    if (!proof.length) return false;
    var fn = oldSize - 1, sn = newSize - 1;
    while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    var fr = proof[0], sr = proof[0];
    for (var i = 1; i < proof.length; i++) {
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        fr = await nodeHash(proof[i], fr);
        sr = await nodeHash(proof[i], sr);
        while (fn !== 0 && fn % 2 === 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        sr = await nodeHash(sr, proof[i]);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 && same(fr, oldRoot) && same(sr, newRoot);
  }

  /* --- Figures: the payload forms of testigo's profiles (testigo.profiles), and the cells on screen. */

  function figuresOf(payload, profile) {
    if (profile === "ve2024") {
      var fields = payload.trim().split("!");
      if (fields.length !== 4) throw new Error("the payload is not a ve2024 acta");
      return { counts: fields[1].split(",").map(Number), nulls: Number(fields[2]) };
    }
    if (profile === "generic") {
      var data = JSON.parse(payload);
      return { counts: data.votes.map(Number), nulls: Number(data.invalid) };
    }
    if (profile === "br") {
      /* One contest of a boletim de urna: votes by option, in the order of the page's cards (one per option,
         its option in the second cell); every option the entry logs must have its card. */
      var contest = JSON.parse(payload);
      var options = Array.from(document.querySelectorAll("[data-figure=card]"), function (cell) {
        return cell.parentElement.cells[1].textContent.trim();
      });
      var absent = Object.keys(contest.votes).filter(function (o) { return options.indexOf(o) < 0 && contest.votes[o]; });
      if (absent.length) throw new Error("options " + absent.join(", ") + " of the entry have no card on the page");
      return {
        counts: options.map(function (o) { return Number(contest.votes[o] || 0); }),
        nulls: Number(contest.blank) + Number(contest.null)
      };
    }
    return null;
  }

  function shown(cell) {
    var text = cell.textContent.trim().replace(/\./g, "");
    return /^[0-9]+$/.test(text) ? Number(text) : NaN;
  }

  /* Every figure cell of the page that differs from the logged figures, named. */
  function figureProblems(logged) {
    var problems = [];
    var byCandidate = {};
    var cards = document.querySelectorAll("[data-figure=card]");
    if (cards.length !== logged.counts.length) {
      problems.push("the page shows " + cards.length + " party cards, the entry logs " + logged.counts.length);
    }
    cards.forEach(function (cell, i) {
      var row = cell.parentElement.cells;
      var candidate = row[2].textContent.trim();
      byCandidate[candidate] = (byCandidate[candidate] || 0) + (logged.counts[i] || 0);
      if (shown(cell) !== logged.counts[i]) {
        problems.push("card " + row[0].textContent.trim() + " (" + row[1].textContent.trim() + "): the page shows " +
          cell.textContent.trim() + ", the entry logs " + logged.counts[i]);
      }
    });
    document.querySelectorAll("[data-figure=candidate]").forEach(function (cell) {
      var name = cell.parentElement.cells[0].textContent.trim();
      if (shown(cell) !== (byCandidate[name] || 0)) {
        problems.push(name + ": the page shows " + cell.textContent.trim() + ", the logged cards add up to " + (byCandidate[name] || 0));
      }
    });
    var valid = logged.counts.reduce(function (a, b) { return a + b; }, 0);
    var expected = { valid: valid, null: logged.nulls, cast: valid + logged.nulls };
    var labels = { valid: "valid votes", null: "null votes", cast: "votes cast" };
    Object.keys(expected).forEach(function (what) {
      document.querySelectorAll("[data-figure=" + what + "]").forEach(function (cell) {
        if (shown(cell) !== expected[what]) {
          problems.push(labels[what] + ": the page shows " + cell.textContent.trim() + ", the entry logs " + expected[what]);
        }
      });
    });
    return problems;
  }

  /* --- The report on screen. */

  function Report(section) {
    this.list = section.querySelector(".verify-checks");
    this.outcome = section.querySelector(".verify-outcome");
    this.list.textContent = "";
    this.outcome.textContent = "";
    this.failed = [];
  }
  Report.prototype.add = function (state, text) {
    var item = document.createElement("li");
    item.className = "verify-" + state;
    item.dataset.state = state;
    item.textContent = { ok: "\u2713 ", fail: "\u2717 ", skip: "\u2013 " }[state] + text;
    this.list.appendChild(item);
    if (state === "fail") this.failed.push(text);
  };
  Report.prototype.finish = function (section) {
    var failed = this.failed.length > 0;
    section.dataset.outcome = failed ? "fail" : "pass";
    this.outcome.className = "verify-outcome " + (failed ? "verify-fail" : "verify-ok");
    this.outcome.textContent = failed
      ? "NO VERIFICADA / NOT VERIFIED: " + this.failed[0]
      : "Verificada / Verified: every check below that ran passed; those marked \u2013 were not made.";
  };

  /* --- The checks. */

  async function run(section) {
    var report = new Report(section);
    section.dataset.outcome = "running";
    try {
      await check(section, report);
    } catch (error) {
      report.add("fail", "the verifier stopped: " + error.message);
    }
    report.finish(section);
  }

  async function check(section, report) {
    var log = window.testigoLog;
    var page = JSON.parse(section.querySelector(".verify-data").textContent);
    if (!window.isSecureContext || !window.crypto || !crypto.subtle) {
      report.add("fail", "this browser offers no cryptography to this page (plain http:// is not a secure context): " +
        "open it from https:// or from the files on disk");
      return;
    }
    if (!log) {
      report.add("fail", "log/checkpoints.js is missing: the log cannot be checked");
      return;
    }
    var given = section.querySelector(".verify-key").value.trim();
    var logKey = await parseKey(given || log.key, LOG_KEY);
    if (given && given !== log.key) report.add("fail", "the key you gave is not the key this bundle names (" + log.key + ")");
    report.add(given ? "ok" : "skip", given
      ? "log key: the one you gave, " + logKey.name + "+" + logKey.id
      : "log key: the one this bundle names, " + logKey.name + "+" + logKey.id + ", not compared with one from elsewhere (paste it above)");
    var witnessKeys = [];
    var lines = section.querySelector(".verify-witnesses").value.split("\n").filter(function (l) { return l.trim(); });
    for (var i = 0; i < lines.length; i++) {
      var yours = await parseKey(lines[i], COSIGNATURE_V1);
      yours.source = "key you gave";
      witnessKeys.push(yours);
    }
    for (var j = 0; j < (log.witnesses || []).length; j++) {
      var named = await parseKey(log.witnesses[j], COSIGNATURE_V1);
      if (witnessKeys.some(function (k) { return k.name === named.name && k.id === named.id; })) continue;
      named.source = "key this bundle names, not compared with one from elsewhere";
      witnessKeys.push(named);
    }

    var checkpoints = {};
    async function checkpointOf(size) {
      if (!checkpoints[size]) {
        var note = log.checkpoints[String(size)];
        if (!note) throw new Error("log/checkpoints.js has no checkpoint of size " + size);
        checkpoints[size] = await verifiedCheckpoint(note, logKey).then(function (c) {
          if (c.size !== size) throw new Error("the checkpoint filed under size " + size + " is of size " + c.size);
          return c;
        }, function (error) { throw new Error("checkpoint of size " + size + ": " + error.message); });
      }
      return checkpoints[size];
    }

    var latest = await checkpointOf(log.latest);
    report.add("ok", "signed checkpoint: the log key's Ed25519 signature on the latest checkpoint verifies (" +
      latest.size + " entries, root " + toHex(latest.root) + ")");
    await reportWitnesses(report, log.checkpoints[String(log.latest)], logKey, witnessKeys, "latest checkpoint");

    if (page.page !== "mesa") {
      report.add("skip", "figures: the totals of this page are not recomputed here (each mesa page checks its own figures; " +
        "testigo verify recomputes every total from every entry)");
      return;
    }
    await checkMesa(section, report, log, page, checkpointOf, latest, logKey, witnessKeys);
  }

  async function reportWitnesses(report, note, logKey, witnessKeys, what) {
    var found = await cosignatures(note, logKey, witnessKeys);
    found.forEach(function (c) {
      if (!c.known) return;
      report.add(c.ok ? "ok" : "fail", c.ok
        ? "witness " + c.name + " (" + c.source + ") cosigned the " + what + " at " + new Date(c.time * 1000).toISOString()
        : "witness " + c.name + " (" + c.source + "): its cosignature on the " + what + " does not verify");
    });
    var unknown = found.filter(function (c) { return !c.known; }).map(function (c) { return c.name + "+" + c.id; });
    witnessKeys.forEach(function (k) {
      if (!found.some(function (c) { return c.known && c.name === k.name && c.id === k.id; })) {
        report.add("skip", "witness " + k.name + ": no cosignature on the " + what);
      }
    });
    if (unknown.length) {
      report.add("skip", "cosignatures on the " + what + " not checked, no key given for: " + unknown.join(", ") +
        " (paste a witness key obtained from the witness itself)");
    } else if (!found.length && !witnessKeys.length) {
      report.add("skip", "the " + what + " carries no witness cosignature: nobody independent vouches that all readers see the same log");
    }
  }

  async function checkMesa(section, report, log, page, checkpointOf, latest, logKey, witnessKeys) {
    var verified = {};
    var proved = {};
    var files = [];
    for (var i = 0; i < page.entries.length; i++) {
      var e = page.entries[i];
      var body = encoder.encode(e.body);
      var what = "entry #" + e.seq;
      try {
        var checkpoint = await checkpointOf(e.size);
        var root = await inclusionRoot(e.seq, e.size, await leafHash(body), e.proof.map(fromHex));
        if (!same(root, checkpoint.root)) throw new Error("its inclusion proof yields root " + toHex(root) + ", the signed checkpoint of size " + e.size + " has " + toHex(checkpoint.root));
        if (e.size !== latest.size) {
          var proof = (log.consistency[String(e.size)] || []).map(fromHex);
          if (!await consistent(e.size, latest.size, proof, checkpoint.root, latest.root)) {
            throw new Error("the checkpoint of size " + e.size + " it is proved in is not consistent with the latest");
          }
        }
      } catch (error) {
        report.add("fail", what + ": " + error.message);
        continue;
      }
      report.add("ok", what + ": in the signed log (inclusion proof in the checkpoint of size " + e.size +
        (e.size !== latest.size ? ", consistent with the latest" : "") + ")");
      proved[e.size] = true;
      var fields = JSON.parse(e.body);
      verified[e.seq] = fields;
      var path = e.image || e.table;
      if (path && !files.some(function (f) { return f.path === path; })) files.push({ path: path, sha256: fields.sha256, seq: e.seq });
    }
    var sizes = page.entries.map(function (e) { return e.size; }).filter(function (size, i, all) {
      return size !== latest.size && all.indexOf(size) === i && proved[size];
    });
    for (var j = 0; j < sizes.length; j++) {
      await reportWitnesses(report, log.checkpoints[String(sizes[j])], logKey, witnessKeys, "checkpoint of size " + sizes[j]);
    }

    var counted = verified[page.figures];
    if (!counted) {
      report.add("fail", "figures: entry #" + page.figures + ", which logged them, is not proved in the log");
    } else {
      var logged = figuresOf(counted.payload, counted.profile || page.profile);
      if (!logged) {
        report.add("skip", "figures: the payload form of profile " + (counted.profile || page.profile) + " is unknown to this verifier");
      } else {
        var problems = figureProblems(logged);
        problems.forEach(function (p) { report.add("fail", "figure on screen differs from entry #" + page.figures + ": " + p); });
        if (!problems.length) report.add("ok", "figures: every vote figure on screen is the one entry #" + page.figures + " logged");
      }
      report.add("skip", "not checked here: percentages and bars, which card belongs to which candidate (the ballot), " +
        "registered voters and area names (they come from the registry, not the log)");
    }
    await checkFiles(section, report, files);
  }

  async function checkFiles(section, report, files) {
    var picked = Array.from((section.querySelector(".verify-files") || {}).files || []);
    var pickedHashes = await Promise.all(picked.map(async function (f) {
      return { name: f.name, sha256: toHex(await sha256(new Uint8Array(await f.arrayBuffer()))) };
    }));
    var online = location.protocol === "http:" || location.protocol === "https:";
    for (var i = 0; i < files.length; i++) {
      var f = files[i];
      var what = f.path + " (entry #" + f.seq + ")";
      if (!f.path.split("/").pop().startsWith(f.sha256 + ".")) {
        report.add("fail", what + ": its name is not the SHA-256 the entry logs, " + f.sha256);
        continue;
      }
      var got = null;
      if (online) {
        try {
          var response = await fetch(new URL(f.path, rootUrl()), { cache: "no-store" });
          if (!response.ok) throw new Error("HTTP " + response.status);
          got = toHex(await sha256(new Uint8Array(await response.arrayBuffer())));
        } catch (error) {
          report.add("fail", what + ": cannot be read (" + error.message + ")");
          continue;
        }
      } else {
        var pick = pickedHashes.find(function (p) { return f.path.endsWith("/" + p.name); });
        if (!pick) {
          report.add("skip", what + ": SHA-256 not checked: from a disk the browser cannot read the file; choose it above " +
            "(folder " + f.path.split("/")[0] + "/ of the bundle)");
          continue;
        }
        got = pick.sha256;
      }
      if (got === f.sha256) report.add("ok", what + ": its SHA-256 is the one the entry logs");
      else report.add("fail", what + ": its SHA-256 is " + got + ", the entry logs " + f.sha256 + ": the file was changed");
    }
    pickedHashes.forEach(function (p) {
      if (!files.some(function (f) { return f.path.endsWith("/" + p.name); })) {
        report.add("fail", "the file you chose, " + p.name + ", is not a file of this page");
      }
    });
  }

  /* The bundle's root folder, from the log script's own address (it lies in <root>/log/). */
  function rootUrl() {
    var script = document.querySelector("script[src$='log/checkpoints.js']");
    return new URL("..", script.src);
  }

  document.querySelectorAll("section.verify").forEach(function (section) {
    var named = section.querySelector(".verify-named-witnesses");
    if (named && window.testigoLog) named.textContent = (window.testigoLog.witnesses || []).join("\n") || "\u2014";
    section.querySelector(".verify-run").addEventListener("click", function () { run(section); });
  });
})();
