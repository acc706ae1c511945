using System.Globalization;
using Microsoft.Extensions.Logging;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace KvStore.Host.Flags;

/// <summary>
/// etcd's --config-file: YAML whose keys are the flag names (embed/config.go json tags: name, data-dir,
/// listen-client-urls...). Durations may be Go duration text or integers of nanoseconds (how etcd's
/// time.Duration fields read); lists may be YAML sequences or comma-separated text.
/// </summary>
internal static class ConfigFile
{
    /// <summary>etcd 3.4's securityConfig keys in client-transport-security and peer-transport-security, and the flags they set.</summary>
    private static readonly Dictionary<string, Dictionary<string, string>> TlsSections = new(StringComparer.Ordinal)
    {
        ["client-transport-security"] = new(StringComparer.Ordinal)
        {
            ["cert-file"] = EtcdFlags.CertFile,
            ["key-file"] = EtcdFlags.KeyFile,
            ["client-cert-auth"] = EtcdFlags.ClientCertAuth,
            ["trusted-ca-file"] = EtcdFlags.TrustedCaFile,
            ["auto-tls"] = EtcdFlags.AutoTls,
        },
        ["peer-transport-security"] = new(StringComparer.Ordinal)
        {
            ["cert-file"] = EtcdFlags.PeerCertFile,
            ["key-file"] = EtcdFlags.PeerKeyFile,
            ["client-cert-auth"] = EtcdFlags.PeerClientCertAuth,
            ["trusted-ca-file"] = EtcdFlags.PeerTrustedCaFile,
            ["auto-tls"] = EtcdFlags.PeerAutoTls,
        },
    };

    public static FlagValues Load(string path, List<StartupNote> notes)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FlagException($"error reading config file {path}: {e.Message}");
        }

        Dictionary<string, object?>? document;
        try
        {
            document = new DeserializerBuilder().Build().Deserialize<Dictionary<string, object?>>(text);
        }
        catch (YamlException e)
        {
            throw new FlagException($"error parsing config file {path}: {e.Message}");
        }

        var flags = new FlagValues();
        foreach (var (key, value) in document ?? [])
        {
            if (value is null)
            {
                continue;
            }
            if (TlsSections.TryGetValue(key, out var sectionFlags))
            {
                if (value is not IDictionary<object, object?> section)
                {
                    throw new FlagException($"config file {path}: \"{key}\" must be a mapping");
                }
                foreach (var (entry, entryValue) in section)
                {
                    if (entryValue is null) continue;
                    if (entry is not string name || !sectionFlags.TryGetValue(name, out var flagName))
                    {
                        notes.Add(new(LogLevel.Warning, $"config file {path}: unknown key \"{key}.{entry}\" ignored"));
                        continue;
                    }
                    if (flags.TrySet(EtcdFlags.Get(flagName), Convert.ToString(entryValue, CultureInfo.InvariantCulture) ?? "") is { } sectionError)
                    {
                        throw new FlagException($"config file {path}: {sectionError}");
                    }
                }
                continue;
            }
            var flag = EtcdFlags.Find(key);
            if (flag is null || flag.Name == EtcdFlags.ConfigFile)
            {
                notes.Add(new(LogLevel.Warning, $"config file {path}: unknown key \"{key}\" ignored"));
                continue;
            }
            var valueText = value switch
            {
                string s when flag.Kind == FlagKind.Duration && long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture,
                    out _) => s + "ns",
                string s => s,
                IEnumerable<object?> items => string.Join(",", items.Select(i => Convert.ToString(i, CultureInfo.InvariantCulture))),
                _ => throw new FlagException($"config file {path}: \"{key}\" must be a value or a list"),
            };
            if (flags.TrySet(flag, valueText) is { } error)
            {
                throw new FlagException($"config file {path}: {error}");
            }
            if (!flag.Supported && !IsDefault(flag, valueText))
            {
                notes.Add(new(LogLevel.Warning, $"config file {path}: \"{key}\" has no effect in kvstore (accepted for etcd compatibility)"));
            }
        }
        return flags;
    }

    /// <summary>Whether a value is the flag's default (etcd's sample config lists every key with its default).</summary>
    private static bool IsDefault(EtcdFlag flag, string text) => flag.Kind switch
    {
        FlagKind.Bool => FlagText.TryParseBool(text, out var a) && FlagText.TryParseBool(flag.Default.Length == 0 ? "false" : flag.Default, out var b)
            && a == b,
        FlagKind.Duration => FlagText.TryParseDuration(text, out var a) && FlagText.TryParseDuration(flag.Default, out var b) && a == b,
        _ => text == flag.Default || (text.Length == 0 && flag.Kind != FlagKind.String),
    };
}
