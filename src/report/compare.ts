/**
 * Which link is best at each site (issue 22): with `--by` holding a link key (operator or interface) beside the
 * keys that name the site, the groups that differ only in that key are the site's links. They are ranked by what a
 * regulator decides on, in this order:
 *   1. the profile's verdict: pass, then no verdict, then fail (an unreachable link never passes: the availability gate);
 *   2. availability (higher first);
 *   3. mean loss (lower first), then median RTT (lower first); a missing value ranks after any value.
 * "By how much" is the best link's lead over the runner-up in each of those figures. A site measured over one link
 * only has nothing to compare and is left out. Pure: data in, rows out.
 */
import type { ReportData, ReportGroup } from './pipeline.js';

export const LINK_KEYS = ['operator', 'interface'] as const;
export type LinkKey = (typeof LINK_KEYS)[number];

export interface LinkFigures {
  /** The link's value of the link key (e.g. "510-10 Telkomsel", "wifi"). */
  link: string;
  records: number;
  verdict: 'pass' | 'fail' | 'none';
  rating: string | null;
  availabilityPercent: number | null;
  lossMeanPercent: number | null;
  rttMedianMs: number | null;
}

export interface SiteComparison {
  /** The group key without the link key: the site (location, and whatever else --by holds). */
  site: string[];
  /** Every link of the site, best first. */
  links: LinkFigures[];
  /** The best link's lead over the runner-up (best − runner-up for availability; runner-up − best for loss and RTT): positive = better. */
  lead: { availabilityPoints: number | null; lossPoints: number | null; rttMs: number | null };
}

/** The link key in --by (operator before interface), or null when the report has none. */
export function linkKeyOf(by: readonly string[]): LinkKey | null {
  return LINK_KEYS.find((k) => by.includes(k)) ?? null;
}

const VERDICT_RANK = { pass: 0, none: 1, fail: 2 } as const;

function figures(g: ReportGroup, at: number): LinkFigures {
  const pass = g.rating?.overall.pass ?? null;
  return {
    link: g.key[at] as string,
    records: g.records,
    verdict: pass === true ? 'pass' : pass === false ? 'fail' : 'none',
    rating: g.rating?.overall.label ?? null,
    availabilityPercent: g.availabilityPercent,
    lossMeanPercent: g.metrics.loss_percent?.mean ?? null,
    rttMedianMs: g.metrics.latency_ms?.median ?? null,
  };
}

/** a before b when a is better; null (unknown) after any value. */
function byValue(a: number | null, b: number | null, higherBetter: boolean): number {
  if (a === null || b === null) return a === null ? (b === null ? 0 : 1) : -1;
  return higherBetter ? b - a : a - b;
}

export function rankLinks(links: LinkFigures[]): LinkFigures[] {
  return [...links].sort(
    (a, b) =>
      VERDICT_RANK[a.verdict] - VERDICT_RANK[b.verdict] ||
      byValue(a.availabilityPercent, b.availabilityPercent, true) ||
      byValue(a.lossMeanPercent, b.lossMeanPercent, false) ||
      byValue(a.rttMedianMs, b.rttMedianMs, false) ||
      (a.link < b.link ? -1 : a.link > b.link ? 1 : 0),
  );
}

const diff = (x: number | null, y: number | null): number | null => (x === null || y === null ? null : x - y);

/** One row per site measured over two links or more, in the order the sites first appear in the report. */
export function compareLinks(data: Pick<ReportData, 'by' | 'groups'>): SiteComparison[] {
  const key = linkKeyOf(data.by);
  if (key === null) return [];
  const at = data.by.indexOf(key);
  const sites = new Map<string, { site: string[]; links: LinkFigures[] }>();
  for (const g of data.groups) {
    if (g.records === 0) continue; // only silent expected sites: no link measured
    const site = g.key.filter((_, i) => i !== at);
    const id = JSON.stringify(site);
    let s = sites.get(id);
    if (!s) sites.set(id, (s = { site, links: [] }));
    s.links.push(figures(g, at));
  }
  const out: SiteComparison[] = [];
  for (const s of sites.values()) {
    if (s.links.length < 2) continue;
    const links = rankLinks(s.links);
    const [best, next] = links as [LinkFigures, LinkFigures];
    out.push({
      site: s.site,
      links,
      lead: {
        availabilityPoints: diff(best.availabilityPercent, next.availabilityPercent),
        lossPoints: diff(next.lossMeanPercent, best.lossMeanPercent),
        rttMs: diff(next.rttMedianMs, best.rttMedianMs),
      },
    });
  }
  return out;
}
