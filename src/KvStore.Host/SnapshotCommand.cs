using System.Globalization;
using System.Text;
using System.Text.Json;
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
        var flags = new SnapshotFlags();
        return args[0] switch
        {
            "restore" => await RestoreAsync(flags, args[1..], stdout, stderr).ConfigureAwait(false),
            "status" => Status(flags, args[1..], stdout, stderr),
            _ => Fail(stderr, ExitError, $"unknown command \"{args[0]}\" for \"kvstore snapshot\""),
        };
    }

    private static int Fail(TextWriter stderr, int code, string message)
    {
        stderr.WriteLine("Error: " + message);
        return code;
    }

    // ---- status ----

    private static int Status(SnapshotFlags flags, string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (SnapshotFlags.Parse(flags.Status, args, out string? error) is not { } parsed) return Fail(stderr, ExitError, error!);
        string[] files = parsed.GetValue(flags.StatusFiles) ?? [];
        if (files.Length != 1) return Fail(stderr, ExitBadArgs, "snapshot status requires exactly one argument");
        string format = parsed.GetValue(flags.WriteOut)!;
        if (format is not ("simple" or "table" or "json" or "fields" or "protobuf")) return Fail(stderr, ExitBadFeature, "unsupported output format");
        if (format == "protobuf") return Fail(stderr, ExitBadFeature, "protobuf not supported as output format");

        string path = files[0];
        if (!File.Exists(path))
        {
            return Fail(stderr, ExitError, Directory.Exists(path)
                ? $"open {path}: is a directory"
                : $"stat {path}: no such file or directory");
        }
        SnapshotStatus status;
        try
        {
            status = SnapshotRestore.Status(path);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return Fail(stderr, ExitError, e.Message);
        }
        stdout.Write(FormatStatus(status, format));
        return 0;
    }

    /// <summary>etcdctl's DBStatus printers (simple, table, json, fields).</summary>
    public static string FormatStatus(SnapshotStatus s, string format)
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

    private static async Task<int> RestoreAsync(SnapshotFlags flags, string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (SnapshotFlags.Parse(flags.Restore, args, out string? error) is not { } parsed) return Fail(stderr, ExitError, error!);
        string[] files = parsed.GetValue(flags.RestoreFiles) ?? [];
        if (files.Length != 1) return Fail(stderr, ExitBadArgs, "snapshot restore requires exactly one argument");
        string snapshot = files[0];
        string name = parsed.GetValue(flags.Name)!;
        string initialCluster = parsed.GetValue(flags.InitialCluster)!;
        string givenDataDir = parsed.GetValue(flags.DataDir)!, givenWalDir = parsed.GetValue(flags.WalDir)!;
        string dataDir = givenDataDir.Length > 0 ? givenDataDir : name + ".etcd";
        string walDir = givenWalDir.Length > 0 ? givenWalDir : Path.Combine(dataDir, "member", "wal");

        if (RestoreFlags.Check(parsed.GetValue(flags.InitialAdvertisePeerUrls)!.Split(','), initialCluster, name) is { } flagError)
        {
            return Fail(stderr, ExitError, flagError);
        }
        if (Directory.Exists(dataDir) || File.Exists(dataDir)) return Fail(stderr, ExitError, $"data-dir \"{dataDir}\" exists");
        // etcdctl's default wal dir is under the data dir, which cannot exist yet: the check is for a given one.
        if (givenWalDir.Length > 0 && (Directory.Exists(walDir) || File.Exists(walDir)))
        {
            return Fail(stderr, ExitError, $"wal-dir \"{walDir}\" exists");
        }

        string snapDir = Path.Combine(dataDir, "member", "snap");
        LogLine(stderr, "restoring snapshot", snapshot, walDir, dataDir, snapDir);
        try
        {
            if (!File.Exists(snapshot))
            {
                return Fail(stderr, ExitError, Directory.Exists(snapshot)
                    ? $"read {snapshot}: is a directory"
                    : $"open {snapshot}: no such file or directory");
            }
            RestoredSnapshot restored = await SnapshotRestore.RestoreAsync(snapshot, parsed.GetValue(flags.SkipHashCheck), dataDir, walDir,
                MemberIds.ParseInitialCluster(initialCluster), parsed.GetValue(flags.InitialClusterToken)!).ConfigureAwait(false);
            LogLine(stderr, "restored snapshot", snapshot, walDir, dataDir, snapDir,
                ("cluster-id", restored.ClusterId.ToString("x", CultureInfo.InvariantCulture)),
                ("revision", restored.Revision), ("compact-revision", restored.CompactRevision), ("revisions", restored.Revisions),
                ("leases", restored.Leases), ("users", restored.Users), ("roles", restored.Roles), ("auth-enabled", restored.AuthEnabled));
            return 0;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException
            or Google.Protobuf.InvalidProtocolBufferException)
        {
            return Fail(stderr, ExitError, e.Message);
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
