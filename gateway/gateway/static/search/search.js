/* Find care home vacancies: the map of the results and the print button.
 *
 * Everything here adds to a page that works without it: the list is the
 * page; the map (Leaflet) is drawn from the data- attributes of the map's
 * box and of each result, and stays hidden where this does not run; the
 * print link goes to the print view unless the browser can print here. */
(function () {
  "use strict";

  function printButtons() {
    var links = document.querySelectorAll("[data-print]");
    Array.prototype.forEach.call(links, function (link) {
      link.hidden = false;
      link.setAttribute("role", "button");
      link.addEventListener("click", function (event) {
        if (typeof window.print !== "function") { return; }  // the print view, as without JavaScript
        event.preventDefault();
        window.print();
      });
    });
  }

  function number(text) {
    var value = parseFloat(text);
    return isFinite(value) ? value : null;
  }

  function escapeHtml(text) {
    var box = document.createElement("span");
    box.textContent = text;
    return box.innerHTML;
  }

  function attribution(box) {
    var text = box.getAttribute("data-attribution") || "";
    var url = box.getAttribute("data-attribution-url") || "";
    if (!url || !/^https?:\/\//.test(url)) { return escapeHtml(text); }
    var link = document.createElement("a");
    link.href = url;
    link.textContent = text;
    return link.outerHTML;
  }

  function popup(card, name, distance) {
    var content = document.createElement("div");
    var link = document.createElement("a");
    link.className = "govuk-link";
    link.href = "#" + card.id;
    link.textContent = card.getAttribute("data-number") + ". " + name;
    link.addEventListener("click", function () {
      var heading = card.querySelector(".govuk-summary-card__title");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        window.setTimeout(function () { heading.focus(); }, 0);
      }
    });
    content.appendChild(link);
    if (distance) {
      var away = document.createElement("p");
      away.className = "govuk-body-s govuk-!-margin-0";
      away.textContent = distance;
      content.appendChild(away);
    }
    return content;
  }

  // Leaflet 1.9 stops a tile's download by giving it a data: image, which
  // the page's policy (images from this site and the tile server only)
  // refuses, with an error in the console each time: the attribute is
  // removed instead, which stops the download as well.
  function tileLayer(L) {
    var Tiles = L.TileLayer.extend({
      _abortLoading: function () {
        var key, tile, coords;
        for (key in this._tiles) {
          if (this._tiles[key].coords.z !== this._tileZoom) {
            tile = this._tiles[key].el;
            tile.onload = L.Util.falseFn;
            tile.onerror = L.Util.falseFn;
            if (!tile.complete) {
              tile.removeAttribute("src");
              coords = this._tiles[key].coords;
              L.DomUtil.remove(tile);
              delete this._tiles[key];
              this.fire("tileabort", { tile: tile, coords: coords });
            }
          }
        }
      },
      _removeTile: function (key) {
        var tile = this._tiles[key];
        if (!tile) { return; }
        tile.el.removeAttribute("src");
        return L.GridLayer.prototype._removeTile.call(this, key);
      }
    });
    return Tiles;
  }

  function drawMap() {
    var box = document.getElementById("results-map");
    var section = document.getElementById("map-section");
    if (!box || !section || typeof window.L === "undefined") { return; }
    var L = window.L;
    section.hidden = false;
    var map = L.map(box, { scrollWheelZoom: false, attributionControl: false });
    L.control.attribution({ prefix: false }).addAttribution(attribution(box)).addTo(map);
    var Tiles = tileLayer(L);
    new Tiles(box.getAttribute("data-tiles"), { maxZoom: 18 }).addTo(map);
    var points = [];
    var markers = {};
    var origin = [number(box.getAttribute("data-origin-latitude")), number(box.getAttribute("data-origin-longitude"))];
    if (origin[0] !== null && origin[1] !== null) {
      var postcode = box.getAttribute("data-origin-postcode");
      // A mark, not a control (the help above the map says what it is): under the homes' pins,
      // whose tails point at their place, so a home at the postcode itself leaves the star in sight.
      L.marker(origin, {
        title: "The postcode searched: " + postcode, interactive: false, keyboard: false, zIndexOffset: -1000,
        icon: L.divIcon({ className: "tracker-map__origin", html: "<span aria-hidden=\"true\">★</span>",
                          iconSize: [26, 26], iconAnchor: [13, 13] })
      }).addTo(map);
      points.push(origin);
    }
    var cards = document.querySelectorAll("[data-result][data-latitude]");
    Array.prototype.forEach.call(cards, function (card) {
      var at = [number(card.getAttribute("data-latitude")), number(card.getAttribute("data-longitude"))];
      if (at[0] === null || at[1] === null) { return; }
      var name = card.getAttribute("data-name");
      var label = card.getAttribute("data-number") + ". " + name;
      var marker = L.marker(at, {
        title: label, alt: label, riseOnHover: true,
        icon: L.divIcon({ className: "tracker-map__home", html: escapeHtml(card.getAttribute("data-number")),
                          iconSize: [28, 28], iconAnchor: [14, 38], popupAnchor: [0, -38] })
      }).addTo(map).bindPopup(popup(card, name, card.getAttribute("data-distance")));
      var id = card.getAttribute("data-result");
      markers[id] = marker;
      points.push(at);
    });
    if (points.length === 1) {
      map.setView(points[0], 13);
    } else if (points.length) {
      map.fitBounds(points, { padding: [30, 30], maxZoom: 15 });
    } else {
      section.hidden = true;
      return;
    }
    var shows = document.querySelectorAll("[data-show-on-map]");
    Array.prototype.forEach.call(shows, function (link) {
      var marker = markers[link.getAttribute("data-show-on-map")];
      if (!marker) { return; }
      link.hidden = false;
      link.addEventListener("click", function (event) {
        event.preventDefault();
        section.scrollIntoView();
        map.setView(marker.getLatLng(), Math.max(map.getZoom(), 14));
        marker.openPopup();
        var icon = marker.getElement();
        if (icon) { icon.focus(); }
      });
    });
    window.addEventListener("beforeprint", function () { map.invalidateSize(); });
  }

  printButtons();
  drawMap();
}());
