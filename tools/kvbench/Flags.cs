using System.Globalization;

namespace KvStore.KvBench;

/// <summary>One command-line flag: its name without dashes, its default as written on a command line, and help.</summary>
internal sealed record FlagSpec(string Name, string Default, string Help, bool IsBool = false);

/// <summary>Thrown for a command line that cannot be run; the message is printed with the usage.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// Flags parsed against a fixed table, etcd/cobra style: <c>--name value</c>, <c>--name=value</c>, and bare
/// <c>--name</c> for booleans. An unknown flag is an error; tokens that are not flags are positional.
/// </summary>
internal sealed class ParsedFlags
{
    private readonly Dictionary<string, string> values;

    private ParsedFlags(Dictionary<string, string> values, List<string> positional)
    {
        this.values = values;
        Positional = positional;
    }

    public IReadOnlyList<string> Positional { get; }

    public static ParsedFlags Parse(IReadOnlyList<FlagSpec> specs, IReadOnlyList<string> args)
    {
        var byName = specs.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var values = specs.ToDictionary(s => s.Name, s => s.Default, StringComparer.Ordinal);
        var positional = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith('-') || arg == "-")
            {
                positional.Add(arg);
                continue;
            }

            var body = arg.TrimStart('-');
            var eq = body.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? body : body[..eq];
            if (!byName.TryGetValue(name, out var spec))
            {
                throw new UsageException($"unknown flag: {arg}");
            }

            if (eq >= 0)
            {
                values[name] = body[(eq + 1)..];
            }
            else if (spec.IsBool)
            {
                values[name] = "true";
            }
            else if (i + 1 < args.Count)
            {
                values[name] = args[++i];
            }
            else
            {
                throw new UsageException($"flag needs an argument: {arg}");
            }
        }

        return new ParsedFlags(values, positional);
    }

    public string String(string name) => values[name];

    public int Int(string name, int min = int.MinValue)
    {
        if (!int.TryParse(values[name], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
        {
            throw new UsageException($"invalid value \"{values[name]}\" for --{name}: not an integer");
        }

        if (v < min)
        {
            throw new UsageException($"invalid value {v} for --{name}: must be at least {min}");
        }

        return v;
    }

    public bool Bool(string name) => values[name] switch
    {
        "true" or "1" or "t" or "T" or "TRUE" or "True" => true,
        "false" or "0" or "f" or "F" or "FALSE" or "False" => false,
        var other => throw new UsageException($"invalid value \"{other}\" for --{name}: not a boolean"),
    };
}
