using System.Globalization;
using System.Text;
using System.Text.Json;
using KvStore.Mvcc;
using KvStore.Mvcc.Backup;
using KvStore.Server;

namespace KvStore.Host;

/// <summary>
/// <c>kvstore snapshot restore|status</c>: etcdctl 3.4's snapshot commands over an etcd backend snapshot (a bbolt
/// file from <c>etcdctl snapshot save</c>, from etcd or from kvstore), with etcdctl's flags, defaults, output and
/// error messages. restore makes a kvstore data dir (a member that starts on it serves the backup's keys,
/// revisions, leases and auth store in a new cluster named by the flags); status prints hash, revision, total keys
/// and total size as etcdctl does.
/// </summary>
public static class SnapshotCommand
{
    public const string Name = "snapshot";

    // etcdctl's exit codes (etcdctl/ctlv3/command/error.go).
    private const int ExitError = 1, ExitBadFeature = 4, ExitBadArgs = 128;

    private const string Usage = """
        Usage:
          kvstore snapshot restore <filename> [--data-dir D] [--wal-dir W] [--name default]
              [--initial-cluster default=http://localhost:2380] [--initial-cluster-token etcd-cluster]
              [--initial-advertise-peer-urls http://localhost:2380] [--skip-hash-check]
          kvstore snapshot status <filename> [-w simple|table|json|fields]

        restore makes a kvstore data dir from an etcd v3 backend snapshot (etcdctl snapshot save against etcd or
        kvstore); status prints its hash, revision, total keys and total size.

        """;

    /// <summary>Runs the subcommand with the arguments after <c>snapshot</c>; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] == "help" || args.Any(a => a is "-h" or "--help"))
        {
            await stdout.WriteAsync(Usage).ConfigureAwait(false);
            return 0;
        }
        return args[0] switch
        {
            "restore" => await RestoreAsync(args[1..], stdout, stderr).ConfigureAwait(false),
            "status" => Status(args[1..], stdout, stderr),
            _ => Fail(stderr, ExitError, $"unknown command \"{args[0]}\" for \"kvstore snapshot\""),
        };
    }

    private static int Fail(TextWriter stderr, int code, string message)
    {
        stderr.WriteLine("Error: " + message);
        return code;
    }

    /// <summary>pflag-style parsing: --name value, --name=value, -w value, bools bare or =true/false; everything else positional.</summary>
    private static bool TryParse(string[] args, IReadOnlyDictionary<string, string> aliases, ISet<string> bools,
        Dictionary<string, string> values, List<string> positional, out string? error)
    {
        error = null;
        var known = new HashSet<string>(values.Keys); // the value flags are those given a default
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (a == "--")
            {
                positional.AddRange(args[(i + 1)..]);
                break;
            }
            if (!a.StartsWith('-') || a == "-")
            {
                positional.Add(a);
                continue;
            }
            string body = a.TrimStart('-');
            string? value = null;
            int eq = body.IndexOf('=');
            if (eq >= 0) (body, value) = (body[..eq], body[(eq + 1)..]);
            bool shorthand = !a.StartsWith("--", StringComparison.Ordinal);
            string name = shorthand && aliases.TryGetValue(body, out string? full) ? full : body;
            if (shorthand && name == body)
            {
                error = $"unknown shorthand flag: '{body}' in {a}";
                return false;
            }
            if (bools.Contains(name))
            {
                value ??= "true";
                if (value is not ("true" or "false" or "1" or "0" or "t" or "f" or "TRUE" or "FALSE" or "True" or "False"))
                {
                    error = $"invalid argument \"{value}\" for \"--{name}\" flag: strconv.ParseBool: parsing \"{value}\": invalid syntax";
                    return false;
                }
                values[name] = value is "true" or "1" or "t" or "TRUE" or "True" ? "true" : "false";
                continue;
            }
            if (!known.Contains(name))
            {
                error = $"unknown flag: --{name}";
                return false;
            }
            if (value is null)
            {
                if (i + 1 >= args.Length)
                {
                    error = $"flag needs an argument: {a}";
                    return false;
                }
                value = args[++i];
            }
            values[name] = value;
        }
        return true;
    }

    // ---- status ----

    private static int Status(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var values = new Dictionary<string, string> { ["write-out"] = "simple" };
        var positional = new List<string>();
        if (!TryParse(args, new Dictionary<string, string> { ["w"] = "write-out" }, new HashSet<string> { "hex" }, values, positional, out string? error))
        {
            return Fail(stderr, ExitError, error!);
        }
        if (positional.Count != 1) return Fail(stderr, ExitBadArgs, "snapshot status requires exactly one argument");
        string format = values["write-out"];
        if (format is not ("simple" or "table" or "json" or "fields" or "protobuf")) return Fail(stderr, ExitBadFeature, "unsupported output format");
        if (format == "protobuf") return Fail(stderr, ExitBadFeature, "protobuf not supported as output format");

        string path = positional[0];
        if (!File.Exists(path))
        {
            return Fail(stderr, ExitError, Directory.Exists(path)
                ? $"open {path}: is a directory"
                : $"stat {path}: no such file or directory");
        }
        BackupStatus status;
        try
        {
            status = EtcdBackupReader.Status(path);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return Fail(stderr, ExitError, e.Message);
        }
        stdout.Write(FormatStatus(status, format));
        return 0;
    }

    /// <summary>etcdctl's DBStatus printers (simple, table, json, fields).</summary>
    public static string FormatStatus(BackupStatus s, string format)
    {
        string[] header = ["hash", "revision", "total keys", "total size"];
        string[] row =
        [
            s.Hash.ToString("x", CultureInfo.InvariantCulture),
            s.Revision.ToString(CultureInfo.InvariantCulture),
            s.TotalKey.ToString(CultureInfo.InvariantCulture),
            HumanizeBytes((ulong)s.TotalSize),
        ];
        return format switch
        {
            "json" => JsonSerializer.Serialize(new { hash = s.Hash, revision = s.Revision, totalKey = s.TotalKey, totalSize = s.TotalSize }) + "\n",
            "fields" => $"\"Hash\" : {s.Hash}\n\"Revision\" : {s.Revision}\n\"Keys\" : {s.TotalKey}\n\"Size\" : {s.TotalSize}\n",
            "table" => Table(header, row),
            _ => string.Join(", ", row) + "\n",
        };
    }

    /// <summary>go-humanize's Bytes: SI units, one decimal below 10.</summary>
    public static string HumanizeBytes(ulong s)
    {
        if (s < 10) return $"{s} B";
        string[] sizes = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
        double e = Math.Floor(Math.Log(s) / Math.Log(1000));
        double val = Math.Floor(s / Math.Pow(1000, e) * 10 + 0.5) / 10;
        string suffix = sizes[(int)e];
        // Go's %.0f rounds half to even.
        return val < 10
            ? val.ToString("0.0", CultureInfo.InvariantCulture) + " " + suffix
            : Math.Round(val, MidpointRounding.ToEven).ToString("0", CultureInfo.InvariantCulture) + " " + suffix;
    }

    /// <summary>olekukonko/tablewriter as etcdctl renders one header and one row: headers upper-case and centred, cells right-aligned.</summary>
    private static string Table(string[] header, string[] row)
    {
        int[] widths = header.Select((h, i) => Math.Max(h.Length, row[i].Length)).ToArray();
        var sb = new StringBuilder();
        string line = "+" + string.Join("+", widths.Select(w => new string('-', w + 2))) + "+\n";
        sb.Append(line);
        sb.Append('|');
        for (int i = 0; i < header.Length; i++)
        {
            string h = header[i].ToUpperInvariant();
            int gap = widths[i] - h.Length;
            int left = gap / 2;
            sb.Append(' ').Append(new string(' ', left)).Append(h).Append(new string(' ', gap - left)).Append(" |");
        }
        sb.Append('\n').Append(line).Append('|');
        for (int i = 0; i < row.Length; i++) sb.Append(' ').Append(row[i].PadLeft(widths[i])).Append(" |");
        sb.Append('\n').Append(line);
        return sb.ToString();
    }

    // ---- restore ----

    private static async Task<int> RestoreAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var values = new Dictionary<string, string>
        {
            ["data-dir"] = "",
            ["wal-dir"] = "",
            ["initial-cluster"] = "default=http://localhost:2380",
            ["initial-cluster-token"] = "etcd-cluster",
            ["initial-advertise-peer-urls"] = "http://localhost:2380",
            ["name"] = "default",
            ["skip-hash-check"] = "false",
        };
        var positional = new List<string>();
        if (!TryParse(args, new Dictionary<string, string>(), new HashSet<string> { "skip-hash-check" }, values, positional, out string? error))
        {
            return Fail(stderr, ExitError, error!);
        }
        if (positional.Count != 1) return Fail(stderr, ExitBadArgs, "snapshot restore requires exactly one argument");
        string snapshot = positional[0];
        string name = values["name"];
        string dataDir = values["data-dir"].Length > 0 ? values["data-dir"] : name + ".etcd";
        string walDir = values["wal-dir"].Length > 0 ? values["wal-dir"] : Path.Combine(dataDir, "member", "wal");
        bool walDirGiven = values["wal-dir"].Length > 0;
        bool skipHashCheck = values["skip-hash-check"] == "true";

        if (RestoreFlags.Check(values["initial-advertise-peer-urls"].Split(','), values["initial-cluster"], name) is { } flagError)
        {
            return Fail(stderr, ExitError, flagError);
        }
        if (Directory.Exists(dataDir) || File.Exists(dataDir)) return Fail(stderr, ExitError, $"data-dir \"{dataDir}\" exists");
        // etcdctl always passes a wal dir (its default under the data dir, which cannot exist yet), so the check applies to a given one.
        if (walDirGiven && (Directory.Exists(walDir) || File.Exists(walDir))) return Fail(stderr, ExitError, $"wal-dir \"{walDir}\" exists");

        string memberDir = Path.Combine(dataDir, "member");
        string snapDir = Path.Combine(memberDir, "snap");
        LogLine(stderr, "restoring snapshot", snapshot, walDir, dataDir, snapDir);
        bool created = false;
        try
        {
            if (!File.Exists(snapshot))
            {
                return Fail(stderr, ExitError, Directory.Exists(snapshot) ? $"read {snapshot}: is a directory" : $"open {snapshot}: no such file or directory");
            }
            EtcdBackupReader.VerifyHash(snapshot, skipHashCheck);
            created = true;
            Directory.CreateDirectory(memberDir);
            (MvccStore store, BackupRestoreResult result) = await EtcdBackupReader
                .RestoreAsync(snapshot, new MvccOptions { Directory = memberDir }).ConfigureAwait(false);
            store.Dispose();
            var cluster = MemberIds.ParseInitialCluster(values["initial-cluster"]);
            ulong clusterId = EtcdServer.WriteRestoredMembership(dataDir, cluster, values["initial-cluster-token"]);
            Directory.CreateDirectory(walDir);
            LogLine(stderr, "restored snapshot", snapshot, walDir, dataDir, snapDir,
                ("cluster-id", clusterId.ToString("x", CultureInfo.InvariantCulture)),
                ("revision", result.Revision), ("compact-revision", result.CompactRevision), ("revisions", result.Revisions),
                ("leases", result.Leases), ("users", result.Users), ("roles", result.Roles), ("auth-enabled", result.AuthEnabled));
            return 0;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or Google.Protobuf.InvalidProtocolBufferException)
        {
            // Unlike etcdctl, leave nothing half-made behind: a second try would otherwise fail on "data-dir exists".
            if (created)
            {
                TryDelete(dataDir);
                if (walDirGiven) TryDelete(walDir);
            }
            return Fail(stderr, ExitError, e.Message);
        }
    }

    private static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A structured log line on stderr like etcdctl's zap production logger (level, ts, msg, fields).</summary>
    private static void LogLine(TextWriter stderr, string msg, string path, string walDir, string dataDir, string snapDir,
        params (string Key, object Value)[] extra)
    {
        var fields = new Dictionary<string, object>
        {
            ["level"] = "info",
            ["ts"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0,
            ["msg"] = msg,
            ["path"] = path,
            ["wal-dir"] = walDir,
            ["data-dir"] = dataDir,
            ["snap-dir"] = snapDir,
        };
        foreach ((string key, object value) in extra) fields[key] = value;
        stderr.WriteLine(JsonSerializer.Serialize(fields));
    }
}
