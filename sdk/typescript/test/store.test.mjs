// The store: products, the guest cart checkout, orders and the catalogue calls.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { env, loadSdk, routeMissing } from "./support.mjs";

const { DreamAPI } = await loadSdk();
const server = () => new DreamAPI({ secretKey: env.secretKey, baseUrl: env.baseUrl });
const browser = () => new DreamAPI({ publishableKey: env.publishableKey, baseUrl: env.baseUrl });
const productsMissing = await routeMissing("GET", "/api/products");
const cartMissing = await routeMissing("POST", "/api/cart/checkout", { body: { items: [] } });
const ordersMissing = await routeMissing("GET", "/api/orders");

async function aProduct() {
  const { products } = await browser().products.list();
  if (products.length) return products[0];
  const { product } = await server().products.create({ name: "sdk-mug", displayName: "Mug", price: 1200, currency: "usd", inventory: 5 });
  return product;
}

describe("products", { skip: productsMissing }, () => {
  test("list with the publishable key: the original's Product fields", async () => {
    await aProduct();
    const { products } = await browser().products.list();
    assert.ok(products.length > 0);
    for (const product of products) {
      assert.equal(typeof product.name, "string");
      assert.equal(typeof product.price, "number");
      assert.equal(typeof product.priceId, "string");
      assert.equal(typeof product.productId, "string");
      assert.ok(product.inventory === null || product.inventory === undefined || typeof product.inventory === "number");
      assert.equal(typeof product.soldOut, "boolean");
    }
  });
});

describe("cart checkout", { skip: productsMissing || cartMissing }, () => {
  test("a guest cart gives a checkout URL; more than the stock is a 409", async () => {
    const product = await aProduct();
    const result = await browser().products.cartCheckout({
      items: [{ priceId: product.priceId, quantity: 1 }], customerEmail: "buyer@example.com",
      successUrl: `${env.appOrigin}/thanks`, cancelUrl: `${env.appOrigin}/cart`,
    });
    assert.match(result.url, /^https?:\/\//);
    if (typeof product.inventory === "number") {
      await assert.rejects(browser().products.cartCheckout({ items: [{ priceId: product.priceId, quantity: product.inventory + 1 }] }),
        (error) => error.status === 409);
    }
  });
});

describe("orders", { skip: ordersMissing }, () => {
  test("list and iterate with the secret key; refused with the publishable key", async () => {
    const page = await server().orders.list({ limit: 5 });
    assert.ok(Array.isArray(page.orders));
    const all = [];
    for await (const order of server().orders.iterate({ limit: 2 })) all.push(order);
    assert.ok(all.length >= page.orders.length);
    await assert.rejects(browser().orders.list(), (error) => error.status === 403 || error.status === 401);
  });
});
