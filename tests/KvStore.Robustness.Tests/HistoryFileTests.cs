namespace KvStore.Robustness.Tests;

/// <summary>A saved history loads back with every request and response kind intact (failing runs are replayed from it).</summary>
public sealed class HistoryFileTests
{
    [Fact]
    public void A_saved_history_loads_back_equal()
    {
        var kv = new KeyValue("k", "v", 2, 3, 2, 7);
        var txn = new TxnRequest([new Compare("k", CompareTarget.Mod, CompareResult.Equal, 3)], [new PutRequest("k", "w")], [new RangeRequest("k")]);
        var recorder = new HistoryRecorder();
        recorder.Add(new Operation { Client = 1, Id = recorder.NextId(), Request = txn, Invoke = 10, Return = 20, Outcome = Outcome.Ok,
            Response = new TxnResponse(true, [new PutResponse(kv) { Revision = 4 }]) { Revision = 4, Member = 9 } });
        recorder.Add(new Operation { Client = 2, Id = recorder.NextId(), Request = new DeleteRequest("a", "b"), Invoke = 5, Return = 50,
            Outcome = Outcome.Unknown, Error = "Unavailable" });
        recorder.Add(new WatchRecord { Client = 3, Id = 1, Key = "k", Opened = 1, PrevKv = true,
            Responses = [new WatchResponseRecord(15, 4, [new WatchEvent(EventType.Put, kv, kv)])] });
        recorder.Add(new FaultRecord("pause", 1, 30, 40) { RecoveryFrom = 40 });
        var history = recorder.Build("kvstore", 42, "etcd", 3, 1000, [new MemberState("m1", "http://x", 4, 0, 123, [kv], [7])]);

        var path = Path.GetTempFileName();
        try
        {
            history.Save(path);
            var loaded = RecordedHistory.Load(path);

            Assert.Equal([2L, 1L], loaded.Operations.Select(o => o.Id));
            var first = loaded.Operations[0];
            Assert.Equal(new DeleteRequest("a", "b"), first.Request);
            Assert.Equal(Outcome.Unknown, first.Outcome);
            var second = loaded.Operations[1];
            var loadedTxn = Assert.IsType<TxnRequest>(second.Request);
            Assert.Equal(txn.Compares, loadedTxn.Compares);
            Assert.Equal(txn.Success, loadedTxn.Success);
            var response = Assert.IsType<TxnResponse>(second.Response);
            Assert.Equal(kv, Assert.IsType<PutResponse>(Assert.Single(response.Responses)).PrevKv);
            Assert.Equal(9UL, response.Member);
            Assert.Equal(kv, loaded.Watches.Single().Responses.Single().Events.Single().PrevKv);
            Assert.Equal(40, loaded.Faults.Single().RecoveryFrom);
            Assert.Equal(123u, loaded.FinalStates.Single().HashKv);
            Assert.Equal(42, loaded.Seed);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
