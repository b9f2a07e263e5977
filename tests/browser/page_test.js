// The browser test of `rcnn serve`'s page (tests/test_serve.cpp runs it): Debian's chromium, headless,
// driven by playwright-core (npm, no browser download). Loads the page, uploads the image, waits for
// the boxes, reads the listed objects, moves the threshold slider up and reads them again, saves a
// screenshot; then chooses OTHER while its answer is held back and IMAGE again at once, and checks that
// the late answer for OTHER is not shown over IMAGE. Prints one JSON line: {"all": [...], "threshold": t,
// "above": [...], "drawn": bool, "shown": "W x H pixels" after the late answer, "expected": IMAGE's}.
//   node tests/browser/page_test.js URL IMAGE SCREENSHOT OTHER
const { chromium } = require("playwright-core");

(async () => {
  const [url, image, screenshot, other] = process.argv.slice(2);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
                                          args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  try {
    const page = await browser.newPage({ viewport: { width: parseInt(process.env.WIDTH || "1100"), height: 600 } });
    page.on("pageerror", e => { console.error("page error: " + e.message); process.exitCode = 2; });
    await page.goto(url);
    await page.waitForFunction(() => !document.getElementById("model").textContent.startsWith("loading"));
    await page.setInputFiles("#file", image);
    await page.waitForSelector("body[data-done]");
    if (await page.getAttribute("body", "data-done") !== "1") throw new Error(await page.textContent("#status"));
    const listed = () => page.$$eval("li.object", items => items.map(li => ({ label: li.dataset.label, score: parseFloat(li.dataset.score) })));
    const setThreshold = t => page.$eval("#threshold", (el, t) => { el.value = t; el.dispatchEvent(new Event("input")); }, t);
    await setThreshold(0);
    const all = await listed();
    // Halfway between the lowest and the highest score: fewer boxes must remain, the best among them.
    const scores = all.map(o => o.score);
    const threshold = Math.round(100 * (Math.min(...scores) + Math.max(...scores)) / 2) / 100;
    await setThreshold(threshold);
    const above = await listed();
    // The canvas shows the photograph with boxes: some pixels in the palette's first colours.
    const drawn = await page.$eval("#canvas", c => c.width > 0 && c.getContext("2d").getImageData(0, 0, c.width, c.height).data.length > 0);
    await page.screenshot({ path: screenshot, fullPage: true });
    // A photo chosen while the previous one's answer is on its way: the page once drew that late answer
    // over the newer photo. OTHER's answer is held back 1.5 s; IMAGE is chosen meanwhile.
    const size = async () => (await page.textContent("#status")).split(",")[0];
    const expected = await size();
    let held = false;
    await page.route("**/api/detect", async route => {
      if (!held) {
        held = true;
        await new Promise(r => setTimeout(r, 1500));
      }
      await route.continue();
    });
    await page.evaluate(() => { delete document.body.dataset.done; });
    await page.setInputFiles("#file", other);
    await page.waitForTimeout(200);
    await page.setInputFiles("#file", image);
    await page.waitForSelector("body[data-done]");
    await page.waitForTimeout(2500);  // the late answer has come by now
    console.log(JSON.stringify({ all, threshold, above, drawn, shown: await size(), expected }));
  } finally {
    await browser.close();
  }
})().catch(e => { console.error("browser test: " + e.message); process.exit(1); });
