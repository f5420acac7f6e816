// Which of the runtime's own side modules (lib-dynload: the CJK codecs, unicodedata, pyexpat, _elementtree) a bundle ships
// (scripts/bundle.mjs selectRuntimeModules, issue #13): those its Python sources can use, plus
// [tool.pymode] stdlib-include; stdlib = "full" ships all.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { nonAsciiCode, pymodeSettings, selectRuntimeModules } from "../scripts/bundle.mjs";

const ALL = ["_multibytecodec", "_codecs_cn", "_codecs_hk", "_codecs_iso2022", "_codecs_jp", "_codecs_kr", "_codecs_tw", "unicodedata",
  "pyexpat", "_elementtree"];
const pick = (texts: string[], opts?: object) => Object.keys(selectRuntimeModules(ALL, texts, opts)).sort();

describe("runtime side modules a bundle ships", () => {
  it("none for sources that name none of them", () => {
    expect(pick(["import json\n\ndef on_fetch(request, env):\n    return 'hi'\n"])).toEqual([]);
  });

  it("a CJK codec (and _multibytecodec) for an encoding name or alias, in any spelling", () => {
    expect(pick(["body.decode('Shift-JIS')"])).toEqual(["_codecs_jp", "_multibytecodec"]);
    expect(pick(["CHARSET = 'sjis'"])).toEqual(["_codecs_jp", "_multibytecodec"]);
    expect(pick(["x.encode('GBK')", "y.encode('big5hkscs')"])).toEqual(["_codecs_cn", "_codecs_hk", "_multibytecodec"]);
    expect(pick(["'iso-2022-jp'"])).toEqual(["_codecs_iso2022", "_multibytecodec"]);
  });

  it("unicodedata for its name, stringprep, idna, a \\N{} escape or non-ASCII code", () => {
    for (const src of ["import unicodedata", "import stringprep", "host.encode('idna')", "s = '\\N{BULLET}'", "s = 'café'\n"]) {
      expect(pick([src]), src).toEqual(["unicodedata"]);
    }
  });

  it("pyexpat for xml.parsers.expat, plistlib and xmlrpc; _elementtree (which needs pyexpat) for any xml package", () => {
    expect(pick(["import plistlib"])).toEqual(["pyexpat"]);
    expect(pick(["import xmlrpc.client"])).toEqual(["pyexpat"]);
    // _decimal is built in (not a side module): decimal ships nothing
    expect(pick(["from decimal import Decimal", "import fractions", "statistics.mean(xs)"])).toEqual([]);
    for (const src of ["import xml.etree.ElementTree as ET", "from xml.dom import minidom", "from xml.parsers import expat", "import xml.sax"]) {
      expect(pick([src]), src).toEqual(["_elementtree", "pyexpat"]);
    }
  });

  it("non-ASCII only in comments and docstrings does not count (traceback never shows those lines)", () => {
    expect(nonAsciiCode('"""Café module."""\n# §1\ndef f():\n    """déjà"""\n    return 1  # ü\n')).toBe(false);
    expect(nonAsciiCode('def f():\n    return "é"\n')).toBe(true);
    expect(nonAsciiCode('x = f("""\n  é\n""")\n')).toBe(true);
  });

  it("stdlib-include adds modules (a codec brings _multibytecodec); stdlib = full ships all; unknown names are refused", () => {
    expect(pick([], { include: ["unicodedata"] })).toEqual(["unicodedata"]);
    expect(pick([], { include: ["_codecs_kr"] })).toEqual(["_codecs_kr", "_multibytecodec"]);
    expect(pick([], { stdlib: "full" })).toEqual([...ALL].sort());
    expect(pick([], { include: ["_elementtree"] })).toEqual(["_elementtree", "pyexpat"]);
    expect(() => pick([], { include: ["_decimal"] })).toThrow(/stdlib-include names _decimal, which the runtime does not ship as side modules/);
    expect(() => pick([], { include: ["_sqlite3"] })).toThrow(/stdlib-include names _sqlite3, which the runtime does not ship as side modules/);
    expect(() => pick([], { stdlib: "most" })).toThrow(/stdlib must be "auto" or "full"/);
  });
});

describe("[tool.pymode] settings", () => {
  const dir = mkdtempSync(join(tmpdir(), "pymode-settings-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it("reads main, stdlib and stdlib-include", () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "pyproject.toml"),
      '[project]\nname = "x"\n\n[tool.pymode]\nmain = "app/main.py"\nstdlib = "auto"\nstdlib-include = ["unicodedata", \'_codecs_jp\']\n\n[tool.other]\nmain = "no"\n');
    expect(pymodeSettings(dir)).toEqual({ main: "app/main.py", stdlib: "auto", "stdlib-include": ["unicodedata", "_codecs_jp"] });
  });
});
