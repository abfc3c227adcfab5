// The demo shop: a single-page app with product pages, a cart and a
// checkout. Navigation uses history.pushState; the beacon sees each view.
var products = [
  { sku: 'mug', name: 'Blue mug', price: 12.5 },
  { sku: 'tee', name: 'Logo T-shirt', price: 24.9 },
  { sku: 'cap', name: 'Cap', price: 17 }
];
var cart = JSON.parse(sessionStorage.getItem('shop.cart') || '[]');
var view = document.getElementById('view');

function save() {
  sessionStorage.setItem('shop.cart', JSON.stringify(cart));
  document.getElementById('count').textContent = cart.length;
}
function total() { return cart.reduce(function (s, p) { return s + p.price; }, 0); }
function render() {
  var path = location.pathname, m = /^\/p\/(\w+)$/.exec(path), p;
  if (m && (p = products.find(function (x) { return x.sku == m[1]; }))) {
    document.title = p.name + ' — Demo shop';
    view.innerHTML = '<article class="details"><h1>' + p.name + '</h1><p>' + p.price.toFixed(2) +
      ' EUR</p><p class="size-guide" data-cs-hover="size-guide">Size guide: hover to read.</p>' +
      '<button class="add" data-cs-track="add-to-cart" data-sku="' + p.sku + '">Add to cart</button></article>';
  } else if (path == '/cart') {
    document.title = 'Cart — Demo shop';
    view.innerHTML = '<h1>Cart</h1><ul>' + cart.map(function (x) { return '<li>' + x.name + '</li>'; }).join('') +
      '</ul><p>Total ' + total().toFixed(2) + ' EUR</p><a href="/checkout" class="to-checkout">Checkout</a>';
  } else if (path == '/checkout') {
    document.title = 'Checkout — Demo shop';
    view.innerHTML = '<h1>Checkout</h1><button id="pay">Pay ' + total().toFixed(2) + ' EUR</button>';
  } else if (path == '/thanks') {
    document.title = 'Thank you — Demo shop';
    view.innerHTML = '<h1>Thank you</h1>';
  } else {
    document.title = 'Demo shop';
    view.innerHTML = '<h1>Products</h1><div class="products">' + products.map(function (x) {
      return '<div class="product"><a href="/p/' + x.sku + '" class="product-link">' + x.name + '</a><p>' +
        x.price.toFixed(2) + ' EUR</p></div>';
    }).join('') + '</div>';
  }
}
function go(path) { history.pushState(null, '', path); render(); }

document.addEventListener('click', function (e) {
  var a = e.target.closest('a'), b = e.target.closest('button');
  if (a && a.origin == location.origin) { e.preventDefault(); go(a.pathname); return; }
  if (b && b.classList.contains('add')) {
    var p = products.find(function (x) { return x.sku == b.dataset.sku; });
    cart.push(p);
    save();
    clickstream('track', 'add_to_cart', { sku: p.sku, price: p.price });
  }
  if (b && b.id == 'pay') {
    clickstream('conversion', 'purchase', total(), 'EUR', { items: cart.length });
    cart = [];
    save();
    go('/thanks');
  }
});
window.addEventListener('popstate', render);
save();
render();
