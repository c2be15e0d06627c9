// Governance: scope policies, budgets (spent / reserved / remaining) and
// every rate limit in force.
import { PageHead } from '../components/Bits';
import type { PageProps } from '../Shell';
import { Budgets } from './governance/Budgets';
import { Policies } from './governance/Policies';
import { RateLimits } from './governance/RateLimits';

export function Governance(props: PageProps) {
  return (
    <>
      <PageHead title="Governance" />
      <Budgets {...props} />
      <Policies {...props} />
      <RateLimits {...props} />
    </>
  );
}
