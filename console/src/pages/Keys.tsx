// Keys & access: virtual keys, provider keys, agents, and — for owners —
// workspace tokens and SSO members.
import { PageHead } from '../components/Bits';
import { can } from '../roles';
import type { PageProps } from '../Shell';
import { Agents } from './keys/Agents';
import { Members } from './keys/Members';
import { ProviderKeys } from './keys/ProviderKeys';
import { Tokens } from './keys/Tokens';
import { VirtualKeys } from './keys/VirtualKeys';

export function Keys(props: PageProps) {
  const owner = can.manageAccess(props.principal);
  return (
    <>
      <PageHead title="Keys & access" />
      <VirtualKeys {...props} />
      <ProviderKeys {...props} />
      <Agents {...props} />
      {owner && <Tokens {...props} />}
      {owner && <Members {...props} />}
    </>
  );
}
