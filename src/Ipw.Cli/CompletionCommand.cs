using System.CommandLine;
using System.CommandLine.Completions;
using Ipw.Abstractions;
using Ipw.Core.Plugins;

namespace Ipw.Cli;

/// <summary>
/// <c>ipw completion bash|zsh|fish|powershell</c>: a script that makes the shell complete ipw's commands, options and
/// the registered plugin names. Every script asks ipw itself through System.CommandLine's <c>[suggest:N]</c> directive,
/// so completions follow the installed plugins and never go stale.
/// </summary>
internal static class CompletionCommand
{
    public static Command Create()
    {
        var shell = new Argument<string>("shell") { Description = "bash, zsh, fish or powershell" };
        shell.AcceptOnlyFromAmong("bash", "zsh", "fish", "powershell");
        var command = new Command("completion", "Print a shell completion script: source <(ipw completion bash), or see docs/commands.md for zsh, fish and PowerShell") { shell };
        command.SetAction(parse =>
        {
            Console.Write(Script(parse.GetValue(shell)!));
            return 0;
        });
        return command;
    }

    /// <summary>Completes an option's value with the names a registry holds (clients, datasets, energy backends, ...).</summary>
    public static void Names<T>(Option option, Func<PluginRegistries, Registry<T>> registry) where T : EntryDescriptor =>
        option.CompletionSources.Add(_ =>
        {
            var registries = PluginLoading.Load(warn: false);
            return registry(registries).Entries.Select(e => new CompletionItem(e.Name, detail: e.Descriptor.Description));
        });

    private static string Script(string shell) => shell switch
    {
        "bash" => """
            # ipw completion for bash: source <(ipw completion bash)
            _ipw_complete() {
                local IFS=$'\n'
                local line="${COMP_LINE:0:$COMP_POINT}"
                COMPREPLY=( $(compgen -W "$(ipw "[suggest:${#line}]" "$line" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}") )
            }
            complete -o default -F _ipw_complete ipw

            """,
        "zsh" => """
            # ipw completion for zsh: ipw completion zsh > "${fpath[1]}/_ipw" (or source <(ipw completion zsh) after compinit)
            #compdef ipw
            _ipw() {
                local line="${BUFFER[1,$CURSOR]}"
                local -a candidates
                candidates=("${(@f)$(ipw "[suggest:${#line}]" "$line" 2>/dev/null)}")
                compadd -- "${candidates[@]}"
            }
            compdef _ipw ipw

            """,
        "fish" => """
            # ipw completion for fish: ipw completion fish > ~/.config/fish/completions/ipw.fish
            function __ipw_complete
                set -l line (commandline -cp)
                ipw "[suggest:"(string length -- "$line")"]" "$line" 2>/dev/null
            end
            complete -c ipw -f -a '(__ipw_complete)'

            """,
        _ => """
            # ipw completion for PowerShell: ipw completion powershell | Out-String | Invoke-Expression (add it to $PROFILE)
            Register-ArgumentCompleter -Native -CommandName ipw -ScriptBlock {
                param($wordToComplete, $commandAst, $cursorPosition)
                $line = $commandAst.ToString()
                $at = $cursorPosition - $commandAst.Extent.StartOffset
                ipw "[suggest:$at]" "$line" 2>$null | ForEach-Object {
                    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
                }
            }

            """,
    };
}
