// The runtime's own side modules (lib-dynload: the CJK codecs, unicodedata, pyexpat, _elementtree)
// in workerd: bundle.mjs uploads each as a CompiledWasm module (the plain variant: JSPI) and the Worker's
// linker (src/runtime/dynlink.ts) links it when CPython dlopen()s it. The node-host suite (extensions.test.ts)
// covers both drivers; this covers the bundle a deploy uploads, in workerd itself.
import { describe, expect, it } from "vitest";
import { extensionAppInWorkerd } from "./helpers/extension-app-workerd";

const DYNLOAD = "/lib/python3.13/lib-dynload/";
const { manifest: bundleManifest, run } = extensionAppInWorkerd(() => ({ stdlib: "full" }), 300_000);

describe("the runtime's side modules in workerd (stdlib = full)", () => {
  it("the bundle carries every one as a CompiledWasm module, in the plain variant", () => {
    const manifest = bundleManifest();
    expect(manifest.app.driver).toBe("jspi");
    const mods = manifest.runtime_modules.map((m: any) => m.path.slice(DYNLOAD.length).split(".")[0]).sort();
    expect(mods).toEqual(["_codecs_cn", "_codecs_hk", "_codecs_iso2022", "_codecs_jp", "_codecs_kr", "_codecs_tw",
      "_elementtree", "_multibytecodec", "pyexpat", "unicodedata"]);
    expect(manifest.runtime_modules.every((m: any) => m.variant === "plain")).toBe(true);
  });

  it("expat, ElementTree (C accelerator, expat through pyexpat's capsule), minidom and unicodedata work, beside the built-in decimal", async () => {
    const body = await run(
      "import sys, io, decimal, unicodedata, xml.etree.ElementTree as ET, xml.parsers.expat, xml.dom.minidom\n" +
        "from decimal import Decimal, localcontext\n" +
        "with localcontext(prec=6):\n    q = str(Decimal(1) / Decimal(3))\n" +
        "seen = []\np = xml.parsers.expat.ParserCreate()\np.StartElementHandler = lambda n, a: seen.append(n)\np.Parse(b'<x><y/></x>', True)\n" +
        "result = [q, [el.tag for _, el in ET.iterparse(io.BytesIO(b'<a><b/></a>'))], ET.fromstring('<r k=\"v\"/>').get('k'), seen,\n" +
        "          xml.dom.minidom.parseString('<d>t</d>').documentElement.firstChild.data, unicodedata.name('\\u00e9'),\n" +
        "          ET.XMLParser is sys.modules['_elementtree'].XMLParser,\n" +
        "          '_decimal' in sys.builtin_module_names,\n" +
        "          sorted(m for m in ('pyexpat', '_elementtree', 'unicodedata') if sys.modules[m].__file__.startswith('" + DYNLOAD + "'))]",
    );
    expect(body).toMatchObject({
      ok: true,
      result: ["0.333333", ["b", "a"], "v", ["x", "y"], "t", "LATIN SMALL LETTER E WITH ACUTE", true, true, ["_elementtree", "pyexpat", "unicodedata"]],
    });
  }, 120_000);
});
