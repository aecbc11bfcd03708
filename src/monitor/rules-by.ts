/** What `qosprobe rules --by` may add to the alerts' grouping (issue 22), and the pushed series' label of each. No imports: the CLI's parser reads it. */
export const RULES_BY = { operator: 'operator', interface: 'net_iface' } as const;
export type RulesBy = keyof typeof RULES_BY;
