using System.Globalization;

namespace KvStore.ApiServer.Http;

/// <summary>
/// --service-node-port-range (kube's net.PortRange): "30000-32767", "30000+2767" or one port, inclusive at both ends.
/// </summary>
public sealed class NodePortRange
{
    private NodePortRange(int low, int high) => (Low, High) = (low, high);

    /// <summary>kube-apiserver's default.</summary>
    public const string Default = "30000-32767";

    public int Low { get; }

    public int High { get; }

    public int Size => High - Low + 1;

    /// <summary>As kube prints it: "30000-32767".</summary>
    public string Text => string.Create(CultureInfo.InvariantCulture, $"{Low}-{High}");

    public bool Contains(long port) => port >= Low && port <= High;

    /// <summary>The range; <see cref="FormatException"/> with kube's words (`invalid argument "x" for
    /// "--service-node-port-range" flag: ...`).</summary>
    public static NodePortRange Parse(string value)
    {
        var text = value.Trim();
        var hyphen = text.IndexOf('-', StringComparison.Ordinal);
        var plus = text.IndexOf('+', StringComparison.Ordinal);
        int low, high;
        if (hyphen >= 0 && plus >= 0) throw Invalid(value, $"unable to parse port range: {text}");
        if (hyphen >= 0)
        {
            low = Atoi(value, text[..hyphen]);
            high = Atoi(value, text[(hyphen + 1)..]);
        }
        else if (plus >= 0)
        {
            low = Atoi(value, text[..plus]);
            high = low + Atoi(value, text[(plus + 1)..]);
        }
        else
        {
            low = high = Atoi(value, text);
        }
        if (low > 65535 || high > 65535) throw Invalid(value, $"the port range cannot be greater than 65535: {text}");
        if (high < low) throw Invalid(value, $"end port cannot be less than start port: {text}");
        return new NodePortRange(low, high);
    }

    private static int Atoi(string flag, string part) => int.TryParse(part, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
        ? n
        : throw Invalid(flag, $"strconv.Atoi: parsing {Quote(part)}: invalid syntax");

    private static string Quote(string s) => "\"" + s.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static FormatException Invalid(string value, string why) =>
        new($"invalid argument {Quote(value)} for \"--service-node-port-range\" flag: {why}");
}
