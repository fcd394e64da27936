// Keeps xterm.js v6 within the dashboard's Content-Security-Policy (style-src: the page's nonce
// only) without relaxing it: the Terminal island's xterm creates its elements through a document
// proxy that gives <style> elements the page's nonce and turns setAttribute("style") into CSSOM
// writes. Browser code; the e2e test web/e2e/terminal_e2e_test.ts checks it in Chromium.
import type { Terminal as XTerm } from "@xterm/xterm";

/**
 * Makes xterm.js v6 keep the page's CSP, which allows styles only with the page's nonce. xterm
 * breaks it in two ways:
 *  - it injects three <style> elements (the DOM renderer's theme and cell dimensions, the
 *    viewport's scrollbar colours): they must carry the page's nonce;
 *  - its DOM renderer sets 24-bit colours (and minimum-contrast colours) on cells with
 *    setAttribute("style", …), an inline style attribute the policy blocks: on xterm's elements
 *    that call becomes `style.cssText = …`, a CSSOM write, which CSP does not restrict (the rest
 *    of xterm styles its elements through CSSOM already).
 * xterm creates its elements through the `documentOverride` option, given here a proxy of the
 * document whose createElement does both. Two places in xterm 6.0 bypass that option and use the
 * global document: the viewport's <style>, created during open() (its `mainDocument` is always
 * the global document, an operator-precedence slip), and the DOM renderer's row factory, which
 * makes the cells' <span>s (created with `document`). The first is covered by giving the global
 * document the same createElement for the duration of the synchronous open() call only; the
 * second by pointing the row factory at the proxy (`patchRowFactory`). The e2e test
 * (web/e2e/terminal_e2e_test.ts) checks there is no CSP violation and that 24-bit colours show.
 * Only xterm's elements are affected; the page's policy is unchanged, and nothing an attacker
 * could inject as markup gains a style (parsed attributes never call setAttribute).
 */
export function xtermDocument(doc: Document, nonce: string) {
  const native = Document.prototype.createElement;
  function setAttribute(this: Element, name: string, value: string) {
    if (name.toLowerCase() === "style" && this instanceof HTMLElement) {
      this.style.cssText = value;
    } else {
      Element.prototype.setAttribute.call(this, name, value);
    }
  }
  const createElement = (tag: string, options?: ElementCreationOptions) => {
    const el = native.call(doc, tag, options);
    if (nonce && tag.toLowerCase() === "style") el.nonce = nonce;
    el.setAttribute = setAttribute;
    return el;
  };
  const bound = new Map<PropertyKey, unknown>();
  const proxy = new Proxy(doc, {
    get(target, prop) {
      if (prop === "createElement") return createElement;
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      // Methods of the real document, bound to it (a proxy is not a Document to the DOM).
      let fn = bound.get(prop);
      if (!fn) bound.set(prop, fn = value.bind(target));
      return fn;
    },
  });
  return {
    proxy,
    /** Runs `fn` (xterm's synchronous open()) with the global document creating as the proxy. */
    during<T>(fn: () => T): T {
      const own = Object.getOwnPropertyDescriptor(doc, "createElement");
      Object.defineProperty(doc, "createElement", { value: createElement, configurable: true });
      try {
        return fn();
      } finally {
        if (own) Object.defineProperty(doc, "createElement", own);
        else delete (doc as { createElement?: unknown }).createElement; // the prototype's again
      }
    },
    /** Points the DOM renderer's row factory (xterm internals) at the proxy; false if absent. */
    patchRowFactory(t: XTerm): boolean {
      const factory = (t as unknown as {
        _core?: {
          _renderService?: { _renderer?: { value?: { _rowFactory?: { _document?: unknown } } } };
        };
      })._core?._renderService?._renderer?.value?._rowFactory;
      if (!factory || !("_document" in factory)) return false;
      factory._document = proxy;
      return true;
    },
  };
}
