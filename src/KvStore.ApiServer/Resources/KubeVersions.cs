using System.Globalization;
using System.Text.RegularExpressions;

namespace KvStore.ApiServer.Resources;

/// <summary>
/// apimachinery's version.CompareKubeAwareVersionStrings: "v2" &gt; "v1" &gt; "v1beta2" &gt; "v1beta1" &gt; "v1alpha1", then
/// versions not of that form in alphabetical order. The order in which a CRD's versions are discovered (the first is the
/// preferred one).
/// </summary>
public static partial class KubeVersions
{
    /// <summary>Highest priority first.</summary>
    public static readonly IComparer<string> ByPriority = Comparer<string>.Create(Compare);

    private static int Compare(string a, string b)
    {
        var (ka, kb) = (Parse(a), Parse(b));
        if (ka is null || kb is null)
            return ka is null && kb is null ? string.CompareOrdinal(a, b) : ka is null ? 1 : -1;
        var (x, y) = (ka.Value, kb.Value);
        if (x.Stability != y.Stability)
            return y.Stability.CompareTo(x.Stability);
        if (x.Major != y.Major)
            return y.Major.CompareTo(x.Major);
        return y.Minor.CompareTo(x.Minor);
    }

    /// <summary>Stability 2 = GA, 1 = beta, 0 = alpha; null when not kube-like.</summary>
    private static (int Stability, long Major, long Minor)? Parse(string version)
    {
        var m = KubeLike().Match(version);
        if (!m.Success)
            return null;
        var major = long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        if (!m.Groups[2].Success)
            return (2, major, 0);
        return (m.Groups[2].Value == "beta" ? 1 : 0, major, long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex("^v([1-9][0-9]*)(?:(alpha|beta)([1-9][0-9]*))?$")]
    private static partial Regex KubeLike();
}
