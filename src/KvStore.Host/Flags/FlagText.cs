using System.Globalization;
using System.Net;

namespace KvStore.Host.Flags;

/// <summary>Parses flag text the way Go's flag package and etcd's flag types do.</summary>
internal static class FlagText
{
    /// <summary>Go's strconv.ParseBool.</summary>
    public static bool TryParseBool(string text, out bool value)
    {
        switch (text)
        {
            case "1" or "t" or "T" or "TRUE" or "true" or "True":
                value = true;
                return true;
            case "0" or "f" or "F" or "FALSE" or "false" or "False":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    /// <summary>
    /// Go's time.ParseDuration: a sequence of decimal numbers with units (ns, us, µs, ms, s, m, h), such as
    /// "300ms", "-1.5h" or "2h45m"; "0" alone needs no unit.
    /// </summary>
    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var s = text.AsSpan();
        var negative = false;
        if (s.Length > 0 && (s[0] == '-' || s[0] == '+'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (s.SequenceEqual("0"))
        {
            return true;
        }
        if (s.IsEmpty)
        {
            return false;
        }
        decimal totalNanoseconds = 0;
        while (!s.IsEmpty)
        {
            var numberEnd = 0;
            while (numberEnd < s.Length && (char.IsAsciiDigit(s[numberEnd]) || s[numberEnd] == '.'))
            {
                numberEnd++;
            }
            if (numberEnd == 0 || !decimal.TryParse(s[..numberEnd], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }
            s = s[numberEnd..];
            var unitEnd = 0;
            while (unitEnd < s.Length && !char.IsAsciiDigit(s[unitEnd]) && s[unitEnd] != '.')
            {
                unitEnd++;
            }
            decimal unit = s[..unitEnd] switch
            {
                "ns" => 1m,
                "us" or "µs" or "μs" => 1_000m,
                "ms" => 1_000_000m,
                "s" => 1_000_000_000m,
                "m" => 60m * 1_000_000_000m,
                "h" => 3600m * 1_000_000_000m,
                _ => 0m,
            };
            if (unit == 0m)
            {
                return false;
            }
            s = s[unitEnd..];
            totalNanoseconds += number * unit;
        }
        var ticks = totalNanoseconds / 100m;
        if (ticks > TimeSpan.MaxValue.Ticks)
        {
            return false;
        }
        value = TimeSpan.FromTicks((long)(negative ? -ticks : ticks));
        return true;
    }

    /// <summary>
    /// etcd's types.NewURLs: comma-separated, each with scheme http, https, unix or unixs, a host:port and no
    /// path; duplicates removed (flags.UniqueURLs). Empty text is an empty list.
    /// </summary>
    public static bool TryParseUrls(string text, out IReadOnlyList<Uri> urls, out string error)
    {
        var list = new List<Uri>();
        urls = list;
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }
        foreach (var part in text.Split(','))
        {
            var item = part.Trim();
            if (!Uri.TryCreate(item, UriKind.Absolute, out var uri))
            {
                error = $"parse \"{item}\": invalid URL";
                return false;
            }
            if (uri.Scheme is not ("http" or "https" or "unix" or "unixs"))
            {
                error = $"URL scheme must be http, https, unix, or unixs: {item}";
                return false;
            }
            if (!HasHostAndPort(uri, item))
            {
                error = $"URL address does not have the form \"host:port\": {item}";
                return false;
            }
            if (uri.AbsolutePath != "/" || item.EndsWith('/'))
            {
                error = $"URL must not contain a path: {item}";
                return false;
            }
            if (!list.Contains(uri))
            {
                list.Add(uri);
            }
        }
        return true;
    }

    /// <summary>The host of a URL to bind must be an IP address or localhost (etcd's checkBindURLs).</summary>
    public static bool IsBindable(Uri url) =>
        url.Scheme is "unix" or "unixs" || url.Host == "localhost" || IPAddress.TryParse(url.Host, out _);

    private static bool HasHostAndPort(Uri uri, string text)
    {
        if (string.IsNullOrEmpty(uri.Host) && uri.Scheme is "http" or "https")
        {
            return false;
        }
        // Uri fills in the scheme's default port; etcd wants the port written out.
        var authority = text[(text.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var slash = authority.IndexOf('/');
        if (slash >= 0)
        {
            authority = authority[..slash];
        }
        var colon = authority.LastIndexOf(':');
        return colon >= 0 && colon > authority.LastIndexOf(']');
    }
}
