using System.CommandLine;

namespace KvStore.Host;

/// <summary>
/// The flags of <c>kvstore snapshot restore|status</c>: etcdctl 3.4's names, defaults and help texts, on
/// System.CommandLine. The command line is read with pflag's syntax and messages (--flag value, --flag=value,
/// -w value, a bool bare or as --flag=false, "--" ends the flags), as etcdctl reads it (SnapshotCommandTests).
/// </summary>
internal sealed class SnapshotFlags
{
    public Option<string> DataDir { get; } = new("--data-dir") { Description = "Path to the data directory", DefaultValueFactory = _ => "" };

    public Option<string> WalDir { get; } = new("--wal-dir")
    {
        Description = "Path to the WAL directory (use --data-dir if none given)", DefaultValueFactory = _ => "",
    };

    public Option<string> Name { get; } = new("--name") { Description = "Human-readable name for this member", DefaultValueFactory = _ => "default" };

    public Option<string> InitialCluster { get; } = new("--initial-cluster")
    {
        Description = "Initial cluster configuration for restore bootstrap", DefaultValueFactory = _ => "default=http://localhost:2380",
    };

    public Option<string> InitialClusterToken { get; } = new("--initial-cluster-token")
    {
        Description = "Initial cluster token for the etcd cluster during restore bootstrap", DefaultValueFactory = _ => "etcd-cluster",
    };

    public Option<string> InitialAdvertisePeerUrls { get; } = new("--initial-advertise-peer-urls")
    {
        Description = "List of this member's peer URLs to advertise to the rest of the cluster",
        DefaultValueFactory = _ => "http://localhost:2380",
    };

    public Option<bool> SkipHashCheck { get; } = new("--skip-hash-check")
    {
        Description = "Ignore snapshot integrity hash value (required if copied from data directory)",
    };

    public Option<string> WriteOut { get; } = new("--write-out", "-w")
    {
        Description = "set the output format (fields, json, protobuf, simple, table)", DefaultValueFactory = _ => "simple",
    };

    /// <summary>etcdctl's global --hex, accepted by status (which prints no byte strings).</summary>
    public Option<bool> Hex { get; } = new("--hex") { Description = "print byte strings as hex encoded strings" };

    /// <summary>The positional arguments; the subcommand checks there is exactly one (etcdctl's ExitBadArgs otherwise).</summary>
    public Argument<string[]> RestoreFiles { get; } = new("filename") { Arity = ArgumentArity.ZeroOrMore };

    public Argument<string[]> StatusFiles { get; } = new("filename") { Arity = ArgumentArity.ZeroOrMore };

    public Command Restore => new("restore", "Restores an etcd member snapshot to an etcd directory")
    {
        DataDir, WalDir, Name, InitialCluster, InitialClusterToken, InitialAdvertisePeerUrls, SkipHashCheck, RestoreFiles,
    };

    public Command Status => new("status", "Gets backend snapshot status of a given file") { WriteOut, Hex, StatusFiles };

    private static readonly ParserConfiguration Configuration = new() { EnablePosixBundling = false, ResponseFileTokenReplacer = null };

    /// <summary>
    /// <paramref name="command"/>'s parse of <paramref name="args"/> (what follows its name), or null and pflag's
    /// message in <paramref name="error"/> for an unknown flag, a flag without its value or a bad bool.
    /// </summary>
    public static ParseResult? Parse(Command command, IReadOnlyList<string> args, out string? error)
    {
        var flags = new Dictionary<Option, string>(); // pflag keeps a repeated flag's last value
        var positional = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (a == "--")
            {
                positional.AddRange(args.Skip(i + 1));
                break;
            }
            if (!a.StartsWith('-') || a == "-")
            {
                positional.Add(a);
                continue;
            }
            if (Flag(command, a, i + 1 < args.Count ? args[i + 1] : null, flags, out bool tookNext, out error) is false) return null;
            if (tookNext) i++;
        }
        // --name=value keeps a value that looks like a flag a value (an empty one is its own token); after "--"
        // every token is positional.
        string[] tokens =
        [
            .. flags.SelectMany(f => f.Value.Length > 0 ? [f.Key.Name + "=" + f.Value] : new[] { f.Key.Name, "" }),
            .. positional.Count > 0 ? ["--", .. positional] : positional,
        ];
        ParseResult result = command.Parse(tokens, Configuration);
        error = result.Errors.Count > 0 ? result.Errors[0].Message : null;
        return error is null ? result : null;
    }

    /// <summary>One flag <paramref name="a"/> as pflag reads it: its option and value into <paramref name="flags"/>.</summary>
    private static bool Flag(Command command, string a, string? next, Dictionary<Option, string> flags, out bool tookNext, out string? error)
    {
        tookNext = false;
        error = null;
        bool shorthand = !a.StartsWith("--", StringComparison.Ordinal);
        string body = a.TrimStart('-');
        string? value = null;
        Option? option;
        if (shorthand)
        {
            // pflag's shorthand: one letter, then its value as "=v", attached ("-wjson"), or the next argument.
            option = command.Options.FirstOrDefault(o => o.Aliases.Contains("-" + body[0]));
            if (option is null)
            {
                error = $"unknown shorthand flag: '{body[0]}' in {a}";
                return false;
            }
            if (body.Length > 1) value = body[1] == '=' ? body[2..] : body[1..];
        }
        else
        {
            int eq = body.IndexOf('=');
            if (eq >= 0) (body, value) = (body[..eq], body[(eq + 1)..]);
            option = command.Options.FirstOrDefault(o => o.Name == "--" + body);
            if (option is null)
            {
                error = $"unknown flag: --{body}";
                return false;
            }
        }
        if (option is Option<bool>)
        {
            value ??= "true";
            if (value is not ("true" or "false" or "1" or "0" or "t" or "f" or "TRUE" or "FALSE" or "True" or "False"))
            {
                error = $"invalid argument \"{value}\" for \"{option.Name}\" flag: strconv.ParseBool: parsing \"{value}\": invalid syntax";
                return false;
            }
            flags[option] = value is "true" or "1" or "t" or "TRUE" or "True" ? "true" : "false";
            return true;
        }
        if (value is null)
        {
            if (next is null)
            {
                error = shorthand ? $"flag needs an argument: '{body[0]}' in {a}" : $"flag needs an argument: {a}";
                return false;
            }
            (value, tookNext) = (next, true);
        }
        flags[option] = value;
        return true;
    }
}
