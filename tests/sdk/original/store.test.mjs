// The original client's store calls: products.list and the guest products.cartCheckout, with the
// secret key and with the publishable key alone; a cart paid on the Stripe stand-in's page
// becomes an order with the buyer the client named (customerEmail/customerName → email/name).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { env, eventually, noServer, payOnCheckoutPage, pngBytes, rawRequest } from "../../../sdk/typescript/test/support.mjs";
import { browser, conforms, DreamAPIException, secret } from "./contract.mjs";

/** The original client cannot add products: the developer's script does, with our API. */
async function addProduct(name, { image = false, inventory = 4 } = {}) {
  const made = await rawRequest("POST", "/api/products", { key: env.secretKey, body: { name, displayName: name.toUpperCase(), price: 900, inventory } });
  assert.equal(made.status, 201, made.text);
  if (!image) return made.json.product;
  const form = new FormData();
  form.append("image", new Blob([pngBytes()], { type: "image/png" }), "p.png");
  const withImage = await fetch(`${env.baseUrl}/api/products/${made.json.product.id}/image`, {
    method: "POST", body: form, headers: { Authorization: `Bearer ${env.secretKey}` },
  });
  assert.equal(withImage.status, 200, await withImage.clone().text());
  return (await withImage.json()).product;
}

describe("the original client's store calls", { skip: noServer }, () => {
  test("products.list answers Product[] of types.ts, with the secret key and with the publishable key", async () => {
    const pictured = await addProduct("tote", { image: true });
    const plain = await addProduct("pin", { inventory: null });
    for (const api of [secret(), browser()]) {
      const { products } = await api.products.list();
      products.forEach((product) => conforms("Product", product));
      const tote = products.find((product) => product.id === pictured.id);
      assert.deepEqual([tote.name, tote.displayName, tote.price, tote.inventory, tote.soldOut, tote.imageUrl],
        ["tote", "TOTE", 900, 4, false, pictured.imageUrl]);
      assert.equal(typeof tote.imageUrl, "string");
      assert.equal(products.find((product) => product.id === plain.id).inventory, null);
    }
  });

  test("products.cartCheckout (secret key and publishable key); the paid cart names the client's buyer", async () => {
    const product = await addProduct("mug");
    const { products } = await browser().products.list();
    const listed = products.find((p) => p.id === product.id);
    const byServer = await secret().products.cartCheckout({
      items: [{ priceId: listed.priceId, quantity: 1 }], customerEmail: "buyer@example.com", customerName: "Bea Buyer",
      successUrl: `${env.appOrigin}/thanks`, cancelUrl: `${env.appOrigin}/cart`,
    });
    conforms("CheckoutResult", byServer);
    const byBrowser = await browser().products.cartCheckout({ items: [{ priceId: listed.priceId, quantity: 2 }], successUrl: `${env.appOrigin}/thanks` });
    conforms("CheckoutResult", byBrowser);
    await assert.rejects(browser().products.cartCheckout({ items: [{ priceId: listed.priceId, quantity: 5 }] }),
      (error) => error instanceof DreamAPIException && error.status === 409);

    await payOnCheckoutPage(byServer.url);
    const order = await eventually(async () => (await rawRequest("GET", "/api/orders?search=buyer%40example.com", { key: env.secretKey })).json.orders[0]);
    conforms("Order", order);
    assert.deepEqual([order.email, order.name, order.customer, order.amount], ["buyer@example.com", "Bea Buyer", "Bea Buyer", 900]);
  });
});
