/**
 * Shell completion scripts generated from commander's command tree, so a new command or flag is
 * completed without editing a script by hand. Commander has no built-in generator.
 */
import type { Command, Option } from 'commander';

export const COMPLETION_SHELLS = ['bash', 'zsh'] as const;
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

interface CommandInfo {
  name: string;
  description: string;
  flags: { names: string[]; description: string; choices?: readonly string[] }[];
}

function optionInfo(o: Option): CommandInfo['flags'][number] {
  const names = [o.long, o.short].filter((n): n is string => Boolean(n));
  return { names, description: o.description, ...(o.argChoices ? { choices: o.argChoices } : {}) };
}

function visible(cmd: Command): Option[] {
  // `_hidden` is commander's own flag for options left out of --help; keep completion the same.
  return cmd.options.filter((o) => !(o as Option & { hidden?: boolean }).hidden);
}

function describe(program: Command): { globals: CommandInfo['flags']; commands: CommandInfo[] } {
  const help = { names: ['--help', '-h'], description: 'display help' };
  return {
    globals: [...visible(program).map(optionInfo), help],
    commands: program.commands.map((c) => ({
      name: c.name(),
      description: c.description(),
      flags: [...visible(c).map(optionInfo), help],
    })),
  };
}

/** A shell-quoted single-quoted string. */
function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function completionScript(program: Command, shell: CompletionShell): string {
  return shell === 'bash' ? bashScript(program) : zshScript(program);
}

function bashScript(program: Command): string {
  const name = program.name();
  const fn = `_${name.replace(/[^A-Za-z0-9_]/g, '_')}_completion`;
  const { globals, commands } = describe(program);
  const words = (flags: CommandInfo['flags']) => flags.flatMap((f) => f.names).join(' ');
  const choiceCases = [...globals, ...commands.flatMap((c) => c.flags)]
    .filter((f) => f.choices)
    .map((f) => `    ${f.names.join('|')}) COMPREPLY=($(compgen -W ${q(f.choices!.join(' '))} -- "$cur")); return ;;`);
  const commandCases = commands.map((c) =>
    c.name === 'completion'
      ? `    completion) opts=${q(COMPLETION_SHELLS.join(' '))} ;;`
      : `    ${c.name}) opts=${q(words(c.flags) + ' ' + words(globals))} ;;`,
  );
  return `# bash completion for ${name}; install: ${name} completion bash > /etc/bash_completion.d/${name}
# or add to ~/.bashrc:  source <(${name} completion bash)
${fn}() {
  local cur prev cmd opts i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
${choiceCases.join('\n')}
    --config|--labels|--out|--db|--data-dir) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) cmd="\${COMP_WORDS[i]}"; break ;; esac
  done
  case "$cmd" in
    "") opts=${q(commands.map((c) => c.name).join(' ') + ' ' + words(globals))} ;;
${commandCases.join('\n')}
    *) opts="" ;;
  esac
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -o default -F ${fn} ${name}
complete -o default -F ${fn} ${name}.js
`;
}

function zshScript(program: Command): string {
  const name = program.name();
  const { globals, commands } = describe(program);
  // _arguments spec: '(-h --help)'{-h,--help}'[display help]' is overkill here; one spec per name.
  const spec = (f: CommandInfo['flags'][number]) =>
    f.names.map((n) => {
      const takesValue = f.choices ? `:value:(${f.choices.join(' ')})` : '';
      return q(`${n}[${f.description.replace(/[[\]]/g, '')}]${takesValue}`);
    });
  const commandList = commands.map((c) => q(`${c.name}:${c.description.replace(/:/g, '\\:')}`)).join(' \\\n      ');
  const cases = commands
    .map((c) => {
      const args = c.name === 'completion' ? `'1:shell:(${COMPLETION_SHELLS.join(' ')})'` : c.flags.flatMap(spec).join(' \\\n          ');
      return `      (${c.name})\n        _arguments -s ${args} && return ;;`;
    })
    .join('\n');
  return `#compdef ${name} ${name}.js
# zsh completion for ${name}; install: ${name} completion zsh > "\${fpath[1]}/_${name}"
# or add to ~/.zshrc:  source <(${name} completion zsh)
_${name}() {
  local -a commands
  commands=(
      ${commandList}
  )
  _arguments -C ${globals.flatMap(spec).join(' ')} '1:command:->command' '*::arg:->args'
  case $state in
    (command) _describe -t commands 'anomaly command' commands ;;
    (args)
      case $words[1] in
${cases}
      esac ;;
  esac
}
if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then
  _${name} "$@"
else
  compdef _${name} ${name} ${name}.js
fi
`;
}
