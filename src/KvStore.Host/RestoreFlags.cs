namespace KvStore.Host;

/// <summary>
/// etcd's checks of a restore's cluster flags, with its messages: types.NewURLs and NewURLsMap (scheme, host:port,
/// no path), then ServerConfig.VerifyBootstrap (the local name in --initial-cluster, its URLs equal to
/// --initial-advertise-peer-urls, no URL twice). Host names are compared as written (etcd resolves them first).
/// </summary>
internal static class RestoreFlags
{
    /// <summary>The first error etcd would report, or null.</summary>
    public static string? Check(IReadOnlyList<string> peerUrls, string initialCluster, string name)
    {
        var advertised = new List<string>();
        foreach (string u in peerUrls)
        {
            if (CheckUrl(u.Trim()) is { } e) return e;
            advertised.Add(u.Trim());
        }
        // types.parse: comma-separated name=url pairs; a name may repeat.
        var cluster = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (string pair in initialCluster.Split(','))
        {
            if (pair.Length == 0) continue;
            int eq = pair.IndexOf('=');
            string key = eq >= 0 ? pair[..eq] : pair, value = eq >= 0 ? pair[(eq + 1)..] : "";
            if (!cluster.TryGetValue(key, out List<string>? list)) cluster[key] = list = [];
            list.Add(value.Trim());
        }
        foreach (List<string> urls in cluster.Values)
        {
            foreach (string u in urls)
            {
                if (CheckUrl(u) is { } e) return e;
            }
        }
        if (!cluster.TryGetValue(name, out List<string>? local)) return $"couldn't find local name \"{name}\" in the initial cluster configuration";

        var initSorted = local.OrderBy(u => u, StringComparer.Ordinal).ToList();
        var apSorted = advertised.OrderBy(u => u, StringComparer.Ordinal).ToList();
        if (!initSorted.SequenceEqual(apSorted))
        {
            string cause = initSorted.Count != apSorted.Count
                ? $"len({GoQuoted(apSorted)}) != len({GoQuoted(initSorted)})"
                : apSorted.Zip(initSorted).Where(p => p.First != p.Second).Select(p => $"resolved urls: \"{p.First}\" != \"{p.Second}\"").First();
            var missing = local.Distinct().Where(u => !advertised.Contains(u)).Select(u => name + "=" + u).ToList();
            if (missing.Count > 0)
            {
                return $"--initial-cluster has {string.Join(",", missing)} but missing from "
                    + $"--initial-advertise-peer-urls={string.Join(",", apSorted)} ({cause})";
            }
            var extra = advertised.Distinct().Where(u => !local.Contains(u)).ToList();
            string umap = string.Join(",", apSorted.Select(u => name + "=" + u));
            if (extra.Count > 0) return $"--initial-advertise-peer-urls has {string.Join(",", extra)} but missing from --initial-cluster={umap}";
            return $"failed to resolve {string.Join(",", apSorted)} to match --initial-cluster={umap} ({cause})";
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (cluster.Values.SelectMany(u => u).Any(u => !seen.Add(u)))
        {
            string all = string.Join(",", cluster.SelectMany(kv => kv.Value.Select(u => kv.Key + "=" + u)).OrderBy(p => p, StringComparer.Ordinal));
            return $"initial cluster {all} has duplicate url";
        }
        return null;
    }

    private static string GoQuoted(IEnumerable<string> items) => "[" + string.Join(" ", items.Select(i => "\"" + i + "\"")) + "]";

    /// <summary>types.NewURLs for one URL.</summary>
    private static string? CheckUrl(string url)
    {
        // Go's url.Parse (getScheme): a scheme is letters then letters, digits, '+', '-', '.', up to a ':'.
        string scheme = "";
        for (int i = 0; i < url.Length; i++)
        {
            char c = url[i];
            if (char.IsAsciiLetter(c)) continue;
            if (char.IsAsciiDigit(c) || c is '+' or '-' or '.')
            {
                if (i == 0) break;
                continue;
            }
            if (c == ':')
            {
                if (i == 0) return $"parse \"{url}\": missing protocol scheme";
                scheme = url[..i];
            }
            break;
        }
        if (scheme.Length == 0 && url.Split('/')[0].Contains(':')) return $"parse \"{url}\": first path segment in URL cannot contain colon";
        if (scheme is not ("http" or "https" or "unix" or "unixs")) return $"URL scheme must be http, https, unix, or unixs: {url}";
        int sep = url.IndexOf("://", StringComparison.Ordinal);
        if (sep != scheme.Length) return $"URL address does not have the form \"host:port\": {url}";
        string rest = url[(sep + 3)..];
        int end = rest.IndexOfAny(['/', '?', '#']);
        string host = end >= 0 ? rest[..end] : rest;
        string path = end >= 0 && rest[end] == '/' ? rest[end..] : "";
        int at = host.LastIndexOf('@');
        if (at >= 0) host = host[(at + 1)..];
        int colon = host.LastIndexOf(':');
        bool bracketed = host.StartsWith('[');
        if (colon < 0 || (bracketed && host.LastIndexOf(']') > colon) || (!bracketed && host.IndexOf(':') != colon))
        {
            return $"URL address does not have the form \"host:port\": {url}";
        }
        if (path.Length > 0) return $"URL must not contain a path: {url}";
        return null;
    }
}
