using System.Globalization;
using System.Text.RegularExpressions;
using Etcdserverpb;
using KvStore.Mvcc;
using Microsoft.Extensions.Logging;

namespace KvStore.Server;

/// <summary>
/// etcd's auto-compaction (v3compactor), run by the leader: "periodic" keeps --auto-compaction-retention of
/// history (hours, or a duration such as 5m), sampling the revision every tenth of the period (at most every
/// 6 minutes) and compacting to the revision one period old; "revision" compacts to current - retention every
/// five minutes (<see cref="ServerConfig.AutoCompactionRevisionInterval"/>). Not the apiserver's compactor, which
/// compacts through the etcd client as kube-apiserver does.
/// </summary>
internal sealed partial class AutoCompactor(EtcdServer server, ILogger logger)
{
    public async Task RunAsync(CancellationToken token)
    {
        string mode = server.Config.AutoCompactionMode;
        string retention = server.Config.AutoCompactionRetention;
        if (mode == "revision")
        {
            long keep = long.Parse(retention, CultureInfo.InvariantCulture);
            if (keep > 0) await RunRevisionAsync(keep, token).ConfigureAwait(false);
        }
        else
        {
            TimeSpan period = ParsePeriod(retention);
            if (period > TimeSpan.Zero) await RunPeriodicAsync(period, token).ConfigureAwait(false);
        }
    }

    /// <summary>"0" off; a bare number is hours; else a Go duration ("1h30m", "5m", "30s", "500ms").</summary>
    public static TimeSpan ParsePeriod(string retention)
    {
        if (double.TryParse(retention, NumberStyles.Float, CultureInfo.InvariantCulture, out double hours))
        {
            return TimeSpan.FromHours(hours);
        }
        var total = TimeSpan.Zero;
        Match m = GoDuration().Match(retention);
        if (!m.Success) throw new ArgumentException($"invalid auto-compaction-retention '{retention}'");
        foreach (Capture c in m.Groups["part"].Captures)
        {
            Match p = GoDurationPart().Match(c.Value);
            double v = double.Parse(p.Groups[1].Value, CultureInfo.InvariantCulture);
            total += p.Groups[2].Value switch
            {
                "h" => TimeSpan.FromHours(v),
                "m" => TimeSpan.FromMinutes(v),
                "s" => TimeSpan.FromSeconds(v),
                "ms" => TimeSpan.FromMilliseconds(v),
                _ => TimeSpan.Zero,
            };
        }
        return total;
    }

    private async Task RunPeriodicAsync(TimeSpan period, CancellationToken token)
    {
        TimeSpan compactInterval = period > TimeSpan.FromHours(1) ? TimeSpan.FromHours(1) : period;
        TimeSpan retry = compactInterval / 10;
        int retentions = (int)(period / retry) + 1;
        var revs = new Queue<long>();
        var lastSuccess = DateTime.UtcNow;
        TimeSpan baseInterval = period;
        while (!token.IsCancellationRequested)
        {
            revs.Enqueue(server.Store.CurrentRevision);
            if (revs.Count > retentions) revs.Dequeue(); // the head is the revision one period ago
            await Task.Delay(retry, token).ConfigureAwait(false);
            if (!server.IsLeader || DateTime.UtcNow - lastSuccess < baseInterval) continue;
            baseInterval = compactInterval;
            if (await CompactAsync(revs.Peek(), token).ConfigureAwait(false)) lastSuccess = DateTime.UtcNow;
        }
    }

    private async Task RunRevisionAsync(long keep, CancellationToken token)
    {
        long prev = 0;
        while (!token.IsCancellationRequested)
        {
            await Task.Delay(server.Config.AutoCompactionRevisionInterval, token).ConfigureAwait(false);
            if (!server.IsLeader) continue;
            long rev = server.Store.CurrentRevision - keep;
            if (rev <= 0 || rev == prev) continue;
            if (await CompactAsync(rev, token).ConfigureAwait(false)) prev = rev;
        }
    }

    private async Task<bool> CompactAsync(long rev, CancellationToken token)
    {
        Log.Starting(logger, rev);
        var request = new InternalRaftRequest { Compaction = new CompactionRequest { Revision = rev } };
        ProposeResult r = await server.ProposeAsync(request, token).ConfigureAwait(false);
        bool ok = r.Error == ServerError.None && r.MvccError is MvccError.None or MvccError.Compacted;
        if (ok) Log.Completed(logger, rev); else Log.Failed(logger, rev, r.Error, r.MvccError);
        return ok;
    }

    [GeneratedRegex(@"^(?<part>\d+(\.\d+)?(h|ms|m|s))+$")]
    private static partial Regex GoDuration();

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)(h|ms|m|s)$")]
    private static partial Regex GoDurationPart();

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "starting auto compaction at revision {Revision}")]
        public static partial void Starting(ILogger logger, long revision);

        [LoggerMessage(Level = LogLevel.Information, Message = "completed auto compaction at revision {Revision}")]
        public static partial void Completed(ILogger logger, long revision);

        [LoggerMessage(Level = LogLevel.Warning, Message = "failed auto compaction at revision {Revision}: {Error} {MvccError}")]
        public static partial void Failed(ILogger logger, long revision, ServerError error, MvccError mvccError);
    }
}
