/**
 * The URL template of the http, download and upload tests: `{bytes}` becomes the request size. One function for the
 * probes and the ad hoc commands (cheap: the CLI reads a URL's host with it before any probe is loaded).
 */
export function fillUrlTemplate(template: string, bytes: number): string {
  return template.replaceAll('{bytes}', String(bytes));
}
