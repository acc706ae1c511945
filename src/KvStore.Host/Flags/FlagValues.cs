using System.Globalization;

namespace KvStore.Host.Flags;

/// <summary>The flags given explicitly (command line, ETCD_* variables or config file), as text.</summary>
internal sealed class FlagValues
{
    private readonly Dictionary<string, string> _given = new(StringComparer.Ordinal);

    public bool IsSet(string name) => _given.ContainsKey(name);

    /// <summary>The given text, else etcd's default.</summary>
    public string this[string name] => _given.TryGetValue(name, out var text) ? text : EtcdFlags.Get(name).Default;

    public IEnumerable<string> SetNames => _given.Keys;

    /// <summary>
    /// Records <paramref name="text"/> for <paramref name="flag"/>, or returns Go's flag error when it does not parse as the flag's type.
    /// </summary>
    public string? TrySet(EtcdFlag flag, string text)
    {
        if (!IsValid(flag.Kind, text, out var reason))
        {
            return $"invalid value \"{text}\" for flag -{flag.Name}: {reason}";
        }
        _given[flag.Name] = text;
        return null;
    }

    private static bool IsValid(FlagKind kind, string text, out string reason)
    {
        reason = "parse error";
        switch (kind)
        {
            case FlagKind.Bool:
                return FlagText.TryParseBool(text, out _);
            case FlagKind.Uint:
                return uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _);
            case FlagKind.Uint64:
                return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _);
            case FlagKind.Int:
                return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);
            case FlagKind.Int64:
                return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);
            case FlagKind.Duration:
                reason = $"time: invalid duration \"{text}\"";
                return FlagText.TryParseDuration(text, out _);
            case FlagKind.Urls:
                return FlagText.TryParseUrls(text, out _, out reason);
            default:
                return true;
        }
    }
}
