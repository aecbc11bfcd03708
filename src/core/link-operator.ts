/** Who carries a link (issue 22): one rule for `report --by operator` and the monitor's incident records and alert labels. No imports. */

/**
 * The operator of a record's link: a cellular link by its network, MCC-MNC then the name the modem gave
 * (`510-10 TELKOMSEL`; either alone when only one is known); any other link by its type (`wireless`, `wired`, `other`);
 * null when the record says nothing of its link.
 */
export function operatorOf(r: { net_type: string | null; cell_mcc_mnc: string | null; cell_operator: string | null }): string | null {
  const cell = [r.cell_mcc_mnc, r.cell_operator].filter((x): x is string => x !== null && x !== '').join(' ');
  if (cell !== '' && (r.net_type === 'cellular' || r.net_type === null)) return cell;
  return r.net_type === null || r.net_type === '' ? (cell === '' ? null : cell) : r.net_type;
}
