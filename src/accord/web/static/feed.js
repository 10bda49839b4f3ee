// Accord feed: live updates over Server-Sent Events. New items a viewer may see are put at the
// top of the list; after a reconnection or a reset the first page is fetched again to catch up.
// Items are built with DOM methods and textContent only: nothing received is parsed as HTML.
"use strict";

(function () {
  var list = document.getElementById("feed-items");
  if (!list || !list.getAttribute("data-stream") || !window.EventSource) return;
  var status = document.getElementById("live-status");
  var empty = document.getElementById("feed-empty");
  var csrf = list.getAttribute("data-csrf") || "";

  var CATEGORY_LABELS = {
    general: "General",
    personal_data: "Personal data",
    cji: "Criminal-justice information",
    video: "Video",
    person_location: "Location of a person",
    critical_infrastructure: "Critical-infrastructure sensitive"
  };

  function say(text) {
    if (status) status.textContent = text;
  }

  function words(value) {
    var text = String(value).replace(/_/g, " ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function sectorLabel(value) {
    return value === "ems" ? "EMS" : words(value);
  }

  function categoryLabel(value) {
    return CATEGORY_LABELS[value] || words(value);
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function when(iso) {
    var t = document.createElement("time");
    var d = new Date(iso);
    t.setAttribute("datetime", iso);
    t.textContent = isNaN(d.getTime()) ? iso :
      d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + " UTC";
    return t;
  }

  function node(tag, className, text) {
    var element = document.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined) element.textContent = text;
    return element;
  }

  // As the feed/item.html template: TLP 2.0 colours from .tlp-*, badge-* as the fallback.
  var TLP_TONES = {
    clear: "neutral",
    green: "active",
    amber: "pending",
    "amber+strict": "pending",
    red: "suspended"
  };

  function badge(tlp) {
    var classes = "badge badge-" + (TLP_TONES[tlp] || "neutral") + " tlp tlp-" + tlp.replace("+", "-");
    return node("span", classes, "TLP:" + tlp.toUpperCase());
  }

  function openForm(item) {
    var form = node("form", "filters feed-open");
    form.method = "post";
    form.action = item.href + "/open";
    var token = node("input");
    token.type = "hidden";
    token.name = "csrf_token";
    token.value = csrf;
    var selectId = "purpose-" + item.id;
    var label = node("label", "", "Restricted: state why you open it");
    label.htmlFor = selectId;
    var select = node("select");
    select.id = selectId;
    select.name = "purpose";
    item.purposes.forEach(function (purpose) {
      var option = node("option", "", words(purpose));
      option.value = purpose;
      select.appendChild(option);
    });
    var field = node("div", "field");
    field.appendChild(label);
    field.appendChild(select);
    var button = node("button", "small", "Open");
    button.type = "submit";
    button.appendChild(node("span", "visually-hidden", " " + item.title));
    form.appendChild(token);
    form.appendChild(field);
    form.appendChild(button);
    return form;
  }

  function build(item) {
    var li = node("li", "feed-item");
    li.id = "item-" + item.id;
    li.setAttribute("data-id", item.id);
    li.setAttribute("data-created", item.created_at);

    li.appendChild(when(item.created_at));
    var head = node("p", "feed-item-head");
    head.appendChild(badge(item.tlp));
    head.appendChild(document.createTextNode(" "));
    var title = item.href ? node("a", "feed-title", item.title) : node("strong", "feed-title", item.title);
    if (item.href) title.href = item.href;
    head.appendChild(title);
    li.appendChild(head);

    var meta = node("p", "feed-meta hint");
    meta.textContent = [
      item.owner.name,
      sectorLabel(item.owner.sector),
      item.categories.map(categoryLabel).join(", ")
    ].join(" · ");
    li.appendChild(meta);

    if (item.summary !== null) {
      li.appendChild(node("p", "feed-summary", item.summary));
    } else if (item.restricted && item.href) {
      li.appendChild(openForm(item));
    }
    item.redacted.forEach(function (marker) {
      var p = node("p", "redacted hint");
      p.appendChild(node("strong", "", "Redacted " + categoryLabel(marker.category).toLowerCase() + ":"));
      p.appendChild(document.createTextNode(" " + marker.reason));
      li.appendChild(p);
    });
    var why = node("p", "feed-why");
    why.appendChild(node("strong", "", "Why you see this:"));
    why.appendChild(document.createTextNode(" " + item.why.reason));
    li.appendChild(why);
    return li;
  }

  // Newest first: an item goes before the first one older than it.
  function place(item, fresh) {
    var li = build(item);
    var existing = document.getElementById(li.id);
    if (existing) {
      list.replaceChild(li, existing);
    } else {
      var before = null;
      var items = list.children;
      var created = Date.parse(item.created_at);
      for (var i = 0; i < items.length; i++) {
        if (Date.parse(items[i].getAttribute("data-created") || "") <= created) {
          before = items[i];
          break;
        }
      }
      list.insertBefore(li, before);
    }
    if (fresh) li.classList.add("feed-item-new");
    if (empty) empty.hidden = true;
    return li;
  }

  function catchUp() {
    var url = list.getAttribute("data-catch-up");
    if (!url) return;
    fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("feed " + response.status);
        return response.json();
      })
      .then(function (page) {
        page.items.slice().reverse().forEach(function (item) {
          place(item, false);
        });
      })
      .catch(function () {
        say("Could not catch up; reload the page to see everything.");
      });
  }

  var opened = false;
  var source = new EventSource(list.getAttribute("data-stream"));

  source.addEventListener("open", function () {
    say("Live: new items appear at the top.");
    if (opened) catchUp(); // a reconnection: fetch what arrived meanwhile
    opened = true;
  });

  source.addEventListener("record", function (event) {
    var item;
    try {
      item = JSON.parse(event.data);
    } catch (err) {
      return;
    }
    place(item, true);
    say("New: " + item.title);
  });

  source.addEventListener("reset", function () {
    catchUp();
  });

  source.addEventListener("end", function () {
    source.close();
    say("Live updates stopped: your sign-in ended. Sign in again to resume.");
  });

  source.addEventListener("error", function () {
    if (source.readyState === EventSource.CLOSED) {
      say("Live updates stopped. Reload the page to resume.");
    } else {
      say("Reconnecting…");
    }
  });

  window.addEventListener("pagehide", function () {
    source.close();
  });
})();
