using System.Collections;
using System.CommandLine;
using Microsoft.Extensions.Logging;

namespace KvStore.Host.Flags;

/// <summary>What the command line asks for: run a member, or print something and exit with a code.</summary>
internal abstract record StartupCommand
{
    /// <summary>Run a member with these settings; log the notes first.</summary>
    public sealed record Run(HostSettings Settings, IReadOnlyList<StartupNote> Notes) : StartupCommand;

    /// <summary>Print <paramref name="Output"/> (stdout) or <paramref name="Error"/> (stderr) and exit.</summary>
    public sealed record Exit(int Code, string Output = "", string Error = "") : StartupCommand;
}

/// <summary>
/// Reads etcd's flags from the command line (System.CommandLine), the ETCD_* environment variables
/// (etcd's flags.SetFlagsFromEnv: only for flags not on the command line) or, when --config-file or
/// ETCD_CONFIG_FILE names one, from the config file alone (as etcd, flags and variables are then ignored).
/// </summary>
internal static class StartupArguments
{
    private const string Program = "kvstore";

    public static StartupCommand Parse(IReadOnlyList<string> args, IDictionary environment)
    {
        var root = new RootCommand("kvstore: an etcd v3 compatible key-value store (one member; etcd's flags and ETCD_* variables).");
        foreach (var builtIn in root.Options.OfType<VersionOption>().ToList())
        {
            root.Options.Remove(builtIn);
        }
        var version = new Option<bool>("--version") { Description = "Print the version and exit." };
        root.Options.Add(version);
        // Program.cs runs these before the member's flags are parsed; listed here so that --help shows them.
        root.Subcommands.Add(new Command(SnapshotCommand.Name,
            "etcdctl's snapshot restore|status over an etcd backend snapshot (kvstore snapshot --help)."));
        root.Subcommands.Add(new Command(ApiServerCommand.Name,
            "The Kubernetes-style REST API alone, over an etcd v3 endpoint list (kvstore apiserver --help)."));
        root.SetAction(_ => 0); // running a member is the root's own action: without one, the subcommands would be required
        var options = new Dictionary<EtcdFlag, Option>();
        foreach (var flag in EtcdFlags.All)
        {
            // A value flag may repeat (Go's flag package keeps the last), one value per occurrence.
            Option option = flag.Kind == FlagKind.Bool
                ? new Option<bool>("--" + flag.Name) { Description = Describe(flag) }
                : new Option<string[]>("--" + flag.Name) { Description = Describe(flag), HelpName = flag.Kind.ToString().ToLowerInvariant(), Arity =
                    ArgumentArity.OneOrMore };
            options.Add(flag, option);
            root.Options.Add(option);
        }

        var tokens = new List<string>();
        foreach (var arg in args)
        {
            if (GoStyleFlag(arg, tokens) is { } error)
            {
                return new StartupCommand.Exit(2, Error: $"{Program}: {error}\nSee '{Program} --help'.\n");
            }
        }
        var result = root.Parse(tokens);
        if (result.UnmatchedTokens.Count > 0)
        {
            var token = result.UnmatchedTokens[0];
            return token.StartsWith('-')
                ? new StartupCommand.Exit(2, Error: $"{Program}: flag provided but not defined: {token}\nSee '{Program} --help'.\n")
                : new StartupCommand.Exit(1, Error: $"{Program}: '{token}' is not a valid flag. See '{Program} --help'.\n");
        }
        if (result.Errors.Count > 0)
        {
            return new StartupCommand.Exit(2, Error: $"{Program}: {result.Errors[0].Message}\nSee '{Program} --help'.\n");
        }
        if (result.Action is System.CommandLine.Help.HelpAction)
        {
            var output = new StringWriter();
            result.InvocationConfiguration.Output = output;
            var code = result.Invoke();
            return new StartupCommand.Exit(code, Output: output.ToString());
        }
        if (result.GetValue(version))
        {
            return new StartupCommand.Exit(0, Output: VersionText());
        }

        var notes = new List<StartupNote>();
        var commandLine = new FlagValues();
        foreach (var (flag, option) in options)
        {
            if (result.GetResult(option) is not { Implicit: false })
            {
                continue;
            }
            var text = option is Option<bool> boolean ? (result.GetValue(boolean) ? "true" : "false")
                : result.GetValue((Option<string[]>)option)?.LastOrDefault() ?? "";
            if (commandLine.TrySet(flag, text) is { } error)
            {
                return new StartupCommand.Exit(2, Error: $"{Program}: {error}\n");
            }
            if (!flag.Supported)
            {
                notes.Add(new(LogLevel.Warning, $"flag --{flag.Name} has no effect in kvstore (accepted for etcd compatibility)"));
            }
        }

        try
        {
            var configFile = commandLine.IsSet(EtcdFlags.ConfigFile)
                ? commandLine[EtcdFlags.ConfigFile]
                : environment[EtcdFlags.Get(EtcdFlags.ConfigFile).EnvironmentVariable] as string ?? "";
            if (configFile.Length > 0)
            {
                notes.Clear();
                var fromFile = ConfigFile.Load(configFile, notes);
                notes.Insert(0, new(LogLevel.Information,
                    $"loaded server configuration from {configFile}, other configuration command line flags and environment variables will be " +
                    "ignored if provided"));
                return new StartupCommand.Run(HostSettings.Build(fromFile, fromCommandLine: false), notes);
            }

            if (ApplyEnvironment(commandLine, environment, notes) is { } envError)
            {
                return new StartupCommand.Exit(1, Error: $"{Program}: {envError}\n");
            }
            return new StartupCommand.Run(HostSettings.Build(commandLine, fromCommandLine: true), notes);
        }
        catch (FlagException e)
        {
            return new StartupCommand.Exit(1, Error: $"{Program}: error verifying flags, {e.Message}. See '{Program} --help'.\n");
        }
    }

    /// <summary>
    /// Go's flag syntax on top of System.CommandLine's: -name is --name, and a boolean flag takes its value only
    /// as --flag=value (any of Go's spellings: 1, t, TRUE, false...). Returns Go's error for a bad boolean.
    /// </summary>
    private static string? GoStyleFlag(string token, List<string> tokens)
    {
        if (token.Length < 2 || token[0] != '-')
        {
            tokens.Add(token);
            return null;
        }
        var body = token.AsSpan(token[1] == '-' ? 2 : 1);
        var equals = body.IndexOf('=');
        var name = (equals >= 0 ? body[..equals] : body).ToString();
        var flag = EtcdFlags.Find(name);
        if (flag is null && name is not ("version" or "help"))
        {
            tokens.Add(token);
            return null;
        }
        if (flag?.Kind == FlagKind.Bool && equals >= 0)
        {
            var value = body[(equals + 1)..].ToString();
            if (!FlagText.TryParseBool(value, out var on))
            {
                return $"invalid boolean value \"{value}\" for -{name}: parse error";
            }
            tokens.Add("--" + name);
            tokens.Add(on ? "true" : "false");
            return null;
        }
        tokens.Add("--" + body.ToString());
        return null;
    }

    /// <summary>
    /// etcd's flags.SetFlagsFromEnv: ETCD_&lt;FLAG&gt; sets each flag not given on the command line; a flag given on
    /// both refuses to start with etcd's message; ETCD_* names that are no flag are reported.
    /// </summary>
    private static string? ApplyEnvironment(FlagValues flags, IDictionary environment, List<StartupNote> notes)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var flag in EtcdFlags.All)
        {
            if (flag.Name == EtcdFlags.ConfigFile || environment[flag.EnvironmentVariable] is not string { Length: > 0 } text)
            {
                continue;
            }
            used.Add(flag.EnvironmentVariable);
            if (flags.IsSet(flag.Name))
            {
                return $"conflicting environment variable \"{flag.EnvironmentVariable}\" is shadowed by corresponding command-line flag (either " +
                    "unset environment variable or disable flag)";
            }
            if (flags.TrySet(flag, text) is not null)
            {
                return $"invalid value \"{text}\" for {flag.EnvironmentVariable}: parse error";
            }
            notes.Add(flag.Supported
                ? new(LogLevel.Information, $"recognized and used environment variable {flag.EnvironmentVariable}={text}")
                : new(LogLevel.Warning,
                    $"environment variable {flag.EnvironmentVariable} has no effect in kvstore (accepted for etcd compatibility)"));
        }
        foreach (DictionaryEntry entry in environment)
        {
            if (entry.Key is string key && key.StartsWith("ETCD_", StringComparison.Ordinal) && !used.Contains(key)
                && key != EtcdFlags.Get(EtcdFlags.ConfigFile).EnvironmentVariable && environment[key] is string { Length: > 0 })
            {
                notes.Add(new(LogLevel.Warning, $"unrecognized environment variable {key}={entry.Value}"));
            }
        }
        return null;
    }

    private static string Describe(EtcdFlag flag)
    {
        var text = flag.Usage;
        if (flag.Default.Length > 0)
        {
            text += $" (default {flag.Default})";
        }
        return flag.Supported ? text : "[no effect in kvstore] " + text;
    }

    private static string VersionText()
    {
        var informational = typeof(StartupArguments).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>()
            .FirstOrDefault()?.InformationalVersion ?? "unknown";
        return $"""
            etcd Version: {KvStore.Server.EtcdVersion.Server}
            Git SHA: Not provided
            kvstore Version: {informational}
            .NET Version: {Environment.Version}
            OS/Arch: {OperatingSystemName()}/{System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()}

            """;
    }

    private static string OperatingSystemName() =>
        OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsMacOS() ? "darwin" : OperatingSystem.IsWindows() ? "windows" : "unknown";
}
