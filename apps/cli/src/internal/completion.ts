import type { Command } from 'commander';

interface Node {
  path: string[];
  words: string[];
}

function walk(cmd: Command, path: string[], out: Node[]): void {
  const subs = cmd.commands.map((c) => c.name());
  const opts = cmd.options.map((o) => o.long).filter((l): l is string => l !== undefined);
  out.push({ path, words: [...subs, ...opts] });
  for (const c of cmd.commands) walk(c, [...path, c.name()], out);
}

/** A completion script for `shell` generated from the command tree. */
export function completionScript(shell: 'bash' | 'zsh' | 'fish', program: Command): string {
  const nodes: Node[] = [];
  walk(program, [], nodes);
  const globals = '--home --json --help';
  if (shell === 'fish') {
    const lines = [
      '# mcpmux completion for fish: mcpmux completion fish > ~/.config/fish/completions/mcpmux.fish',
    ];
    for (const n of nodes) {
      const subs = n.words.filter((w) => !w.startsWith('-'));
      const cond =
        n.path.length === 0
          ? '__fish_use_subcommand'
          : `__fish_seen_subcommand_from ${n.path[n.path.length - 1]}`;
      if (subs.length > 0) lines.push(`complete -c mcpmux -f -n '${cond}' -a '${subs.join(' ')}'`);
      for (const o of n.words.filter((w) => w.startsWith('--'))) {
        lines.push(`complete -c mcpmux -n '${cond}' -l ${o.slice(2)}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }
  const cases = nodes
    .map((n) => `    "${n.path.join(' ')}") echo "${n.words.join(' ')} ${globals}" ;;`)
    .join('\n');
  const bash = `_mcpmux_words() {
  case "$1" in
${cases}
    *) echo "${globals}" ;;
  esac
}
_mcpmux() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" key="" i w
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    case " $(_mcpmux_words "$key") " in
      *" $w "*) key="\${key:+$key }$w" ;;
    esac
  done
  COMPREPLY=($(compgen -W "$(_mcpmux_words "$key")" -- "$cur"))
}
complete -F _mcpmux mcpmux
`;
  if (shell === 'zsh') {
    return `# mcpmux completion for zsh: source <(mcpmux completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n${bash}`;
  }
  return `# mcpmux completion for bash: source <(mcpmux completion bash)\n${bash}`;
}
