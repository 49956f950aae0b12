/** Rules about secrets in ENV and ARG, by name and by value. */
import { Arg, Env, type Property } from 'dockerfile-ast';
import { secretByName, secretByValue } from '../secrets';
import { at, type RawFinding, type Rule, type ScanContext } from '../types';

interface Variable {
  instruction: Env | Arg;
  name: string;
  value: string | null;
}

/** ENV and ARG variables, including ARGs before the first FROM. Legacy `ENV NAME value` is one variable. */
function variables(ctx: ScanContext): Variable[] {
  const instructions = ctx.dockerfile
    .getInstructions()
    .filter((i): i is Env | Arg => i instanceof Env || i instanceof Arg);
  return instructions.flatMap((instruction) => {
    const props: Property[] = instruction.getProperties();
    const args = instruction.getArguments().map((a) => a.getValue());
    if (instruction instanceof Env && args.length >= 2 && !args[0]!.includes('=')) {
      return [{ instruction, name: args[0]!, value: args.slice(1).join(' ') }];
    }
    return props.map((p) => ({ instruction, name: p.getName(), value: p.getValue() }));
  });
}

function describe(v: Variable): string {
  return `${v.instruction.getKeyword()} ${v.name}`;
}

const secretName: Rule = {
  id: 'secret-env-name',
  severity: 'error',
  aliases: ['DL3064', 'DS031'],
  title: 'A secret-named ENV or ARG',
  fix: "Do not pass secrets through ENV or ARG (both are kept in the image metadata and history): use `RUN --mount=type=secret` at build time and a mounted secret or the orchestrator's environment at run time.",
  check: (ctx) =>
    variables(ctx).flatMap((v): RawFinding[] => {
      const why = secretByName(v.name, v.value);
      return why
        ? [
            at(
              v.instruction,
              `${describe(v)}: ${why}, and ${v.instruction.getKeyword()} values are stored in the image`,
            ),
          ]
        : [];
    }),
};

const secretValue: Rule = {
  id: 'secret-env-value',
  severity: 'error',
  aliases: ['DS031'],
  title: 'An ENV or ARG value that looks like a credential',
  fix: 'Remove the value from the Dockerfile, rotate the credential, and pass it as a mounted secret instead.',
  check: (ctx) =>
    variables(ctx).flatMap((v): RawFinding[] => {
      if (secretByName(v.name, v.value)) return []; // reported once, by name
      const why = secretByValue(v.name, v.value);
      return why ? [at(v.instruction, `${describe(v)}: ${why}`)] : [];
    }),
};

export const secretRules: Rule[] = [secretName, secretValue];
