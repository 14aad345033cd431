// The store: the catalogue from scripts (secret key), the listing and the guest cart with the
// publishable key, a cart paid on the Stripe stand-in's page, and the order it makes.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { env, eventually, loadSdk, noServer, payOnCheckoutPage, pngBytes, rawRequest } from "./support.mjs";

const { DreamAPI, DreamAPIException } = await loadSdk();
const server = () => new DreamAPI({ secretKey: env.secretKey, baseUrl: env.baseUrl });
const browser = () => new DreamAPI({ publishableKey: env.publishableKey, baseUrl: env.baseUrl });
const suffix = () => Math.random().toString(36).slice(2, 10);

async function aProduct(extra = {}) {
  const { product } = await server().products.create({ name: `mug-${suffix()}`, displayName: "Mug", price: 1200, inventory: 3, ...extra });
  return product;
}

describe("the catalogue with the secret key", { skip: noServer }, () => {
  test("create, get (by id and by name), update with a new price, archive and bring back", async () => {
    const name = `poster-${suffix()}`;
    const created = await server().products.create({
      name, displayName: "Poster", description: "A3", price: 1500, currency: "usd", inventory: 5, features: ["Signed"],
      restockOnRefund: true,
    });
    assert.equal(created.success, true);
    const product = created.product;
    assert.match(product.id, /^prd_/);
    assert.deepEqual([product.name, product.displayName, product.description, product.price, product.currency],
      [name, "Poster", "A3", 1500, "usd"]);
    assert.deepEqual([product.inventory, product.stock, product.reserved, product.sold, product.soldOut], [5, 5, 0, 0, false]);
    assert.deepEqual([product.active, product.restockOnRefund, product.features, product.imageUrl], [true, true, ["Signed"], null]);
    assert.match(product.priceId, /^price_/);
    assert.match(product.productId, /^prod_/);
    assert.ok(!Number.isNaN(Date.parse(product.createdAt)) && !Number.isNaN(Date.parse(product.updatedAt)));

    assert.equal((await server().products.get(product.id)).product.id, product.id);
    assert.equal((await server().products.get(name)).product.id, product.id);

    const { product: repriced } = await server().products.update(product.id, { price: 1800, displayName: "Big poster" });
    assert.deepEqual([repriced.price, repriced.displayName, repriced.productId], [1800, "Big poster", product.productId]);
    assert.match(repriced.priceId, /^price_/);
    assert.notEqual(repriced.priceId, product.priceId, "a new price is a new Stripe Price");

    const { product: archived } = await server().products.archive(product.id);
    assert.equal(archived.active, false);
    assert.ok(!(await browser().products.list()).products.some((p) => p.id === product.id));
    const { product: back } = await server().products.update(product.id, { active: true });
    assert.equal(back.active, true);
    assert.ok((await browser().products.list()).products.some((p) => p.id === product.id));
  });

  test("uploadImage sets an image served at imageUrl (= assetUrl of its key); deleteImage removes it", async () => {
    const product = await aProduct();
    const png = pngBytes(8, 6);
    const { product: withImage } = await server().products.uploadImage(product.id, new Blob([png], { type: "image/png" }), { filename: "mug.png" });
    assert.match(withImage.imageUrl, /\/api\/assets\/prj_[A-Za-z0-9]+\/[A-Za-z0-9]+\.png$/);
    const key = withImage.imageUrl.split("/api/assets/")[1];
    assert.equal(server().products.assetUrl(key), withImage.imageUrl);
    const served = await fetch(withImage.imageUrl);
    assert.equal(served.status, 200);
    assert.equal(served.headers.get("content-type"), "image/png");
    assert.equal((await served.arrayBuffer()).byteLength > 0, true);
    assert.equal((await browser().products.list()).products.find((p) => p.id === product.id).imageUrl, withImage.imageUrl);

    const { product: without } = await server().products.deleteImage(product.id);
    assert.equal(without.imageUrl, null);
  });

  test("a file that is not an image is a 400 invalid_image, and changes nothing", async () => {
    const product = await aProduct();
    await assert.rejects(
      server().products.uploadImage(product.id, new Blob(["<svg onload=alert(1)>"], { type: "image/png" }), { filename: "x.png" }),
      (error) => error instanceof DreamAPIException && error.status === 400 && error.code === "invalid_image",
    );
    assert.equal((await server().products.get(product.id)).product.imageUrl, null);
  });

  test("bad input is a 400 naming the field", async () => {
    await assert.rejects(server().products.create({ name: `neg-${suffix()}`, price: -1 }),
      (error) => error.status === 400 && Boolean(error.fields?.price));
  });

  test("the publishable key cannot change the catalogue; another project's key sees none of it", async () => {
    const product = await aProduct();
    await assert.rejects(browser().products.create({ name: `pk-${suffix()}`, price: 100 }), (error) => [401, 403].includes(error.status));
    await assert.rejects(browser().products.archive(product.id), (error) => [401, 403].includes(error.status));
    const outsider = new DreamAPI({ secretKey: env.otherSecretKey, baseUrl: env.baseUrl });
    await assert.rejects(outsider.products.get(product.id), (error) => error.status === 404);
    await assert.rejects(outsider.products.update(product.id, { price: 1 }), (error) => error.status === 404);
    await assert.rejects(outsider.products.archive(product.id), (error) => error.status === 404);
    const unchanged = (await server().products.get(product.id)).product;
    assert.deepEqual([unchanged.price, unchanged.active], [1200, true]);
  });
});

describe("the listing and the guest cart with the publishable key", { skip: noServer }, () => {
  test("list gives the original's Product fields and never the owner's counters", async () => {
    const product = await aProduct();
    const { products } = await browser().products.list();
    const listed = products.find((p) => p.id === product.id);
    assert.ok(listed, JSON.stringify(products));
    assert.deepEqual([listed.name, listed.price, listed.priceId, listed.productId, listed.inventory, listed.soldOut],
      [product.name, 1200, product.priceId, product.productId, 3, false]);
    assert.ok(Array.isArray(listed.features));
    for (const ownerOnly of ["stock", "reserved", "sold", "active"]) assert.ok(!(ownerOnly in listed), ownerOnly);
  });

  test("cartCheckout holds the stock until paid; more than is left is a 409; paying makes an order", async () => {
    const product = await aProduct();
    const items = [{ priceId: product.priceId, quantity: 2 }];
    const cart = await browser().products.cartCheckout({
      items, customerEmail: "buyer@example.com", customerName: "Bea Buyer",
      successUrl: `${env.appOrigin}/thanks`, cancelUrl: `${env.appOrigin}/cart`,
    }, { idempotencyKey: `cart-${suffix()}` });
    assert.match(cart.url, /^https?:\/\//);
    assert.match(cart.sessionId, /^cs_/);
    assert.ok(Date.parse(cart.expiresAt) > Date.now());
    assert.equal((await browser().products.list()).products.find((p) => p.id === product.id).inventory, 1);

    await assert.rejects(browser().products.cartCheckout({ items: [{ priceId: product.priceId, quantity: 2 }] }), (error) => {
      assert.equal(error.status, 409);
      assert.equal(error.code, "insufficient_inventory");
      return true;
    });
    await assert.rejects(browser().products.cartCheckout({ items, successUrl: "https://elsewhere.example/thanks" }),
      (error) => error.status === 400 && error.code === "redirect_not_allowed");

    const landed = await payOnCheckoutPage(cart.url);
    assert.ok(landed.startsWith(`${env.appOrigin}/thanks`), landed);
    const order = await eventually(async () => (await server().orders.list({ search: "buyer@example.com" })).orders[0]);
    assert.match(order.id, /^ord_/);
    assert.deepEqual([order.status, order.email, order.name, order.customer, order.amount, order.amountRefunded, order.currency, order.sessionId],
      ["paid", "buyer@example.com", "Bea Buyer", "Bea Buyer", 2400, 0, "usd", cart.sessionId]);
    assert.match(order.paymentId, /^pi_/);
    assert.ok(!Number.isNaN(Date.parse(order.date)));
    assert.deepEqual(order.items, [{ productId: product.id, priceId: product.priceId, name: "Mug", quantity: 2, unitAmount: 1200, amount: 2400 }]);
    const after = (await server().products.get(product.id)).product;
    assert.deepEqual([after.stock, after.reserved, after.sold, after.inventory], [1, 0, 2, 1]);
  });
});

describe("orders", { skip: noServer }, () => {
  test("list filters and pages; iterate walks every page; the publishable key is refused", async () => {
    const product = await aProduct({ inventory: null });
    for (const buyer of ["one", "two", "three"]) {
      const cart = await browser().products.cartCheckout({ items: [{ priceId: product.priceId, quantity: 1 }], customerEmail: `${buyer}@orders.example` });
      await payOnCheckoutPage(cart.url);
    }
    await eventually(async () => (await server().orders.list({ search: "orders.example" })).pagination.total === 3);
    const page = await server().orders.list({ search: "orders.example", limit: 2 });
    assert.deepEqual([page.orders.length, page.pagination.page, page.pagination.limit, page.pagination.total, page.pagination.hasMore], [2, 1, 2, 3, true]);
    assert.deepEqual((await server().orders.list({ search: "two@orders.example" })).orders.map((o) => o.email), ["two@orders.example"]);
    assert.equal((await server().orders.list({ status: "refunded", search: "orders.example" })).orders.length, 0);
    assert.equal((await server().orders.list({ since: new Date(Date.now() + 3_600_000).toISOString() })).orders.length, 0);
    const all = [];
    for await (const order of server().orders.iterate({ search: "orders.example", limit: 2 })) all.push(order.email);
    assert.deepEqual(all.sort(), ["one@orders.example", "three@orders.example", "two@orders.example"]);
    await assert.rejects(browser().orders.list(), (error) => [401, 403].includes(error.status));
    const outsider = new DreamAPI({ secretKey: env.otherSecretKey, baseUrl: env.baseUrl });
    assert.equal((await outsider.orders.list()).pagination.total, 0);
    const raw = await rawRequest("GET", "/api/orders?limit=0", { key: env.secretKey });
    assert.equal(raw.status, 400);
  });
});
