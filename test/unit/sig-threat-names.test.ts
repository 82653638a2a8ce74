// Threat type from ClamAV signature names.
import t from 'tap';
import { threatTypeFromName } from '../../src/definitions/threat-names.js';

t.test('categories map to threat types', async (t) => {
  const cases: [string, string][] = [
    ['PUA.Win.Packer.Upx-1', 'potentially_unwanted_application'],
    ['Win.Adware.Agent-123-0', 'potentially_unwanted_application'],
    ['Unix.Tool.Miner-1-0', 'potentially_unwanted_application'],
    ['Andr.PUA.Thing-9-1', 'potentially_unwanted_application'],
    ['Win.Trojan.Agent-6340573-0', 'trojan'],
    ['Clamav.Test.File-6', 'test'],
    ['Win.Test.EICAR_HDB-1', 'test'],
    ['Win.Virus.Sality-1-0', 'virus'],
    ['Doc.Exploit.CVE_2017_0199-1', 'virus'],
    ['Trojan', 'virus'],
    ['Win.Malware.Test-1', 'virus'],
  ];
  for (const [name, type] of cases) t.equal(threatTypeFromName(name), type, name);
});
