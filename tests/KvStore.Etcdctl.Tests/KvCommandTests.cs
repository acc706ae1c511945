namespace KvStore.Etcdctl.Tests;

/// <summary>put/get/del/txn through etcdctl 3.4 against etcd and kvstore, output compared.</summary>
public sealed class KvCommandTests(PairFixture pair) : IClassFixture<PairFixture>
{
    [Fact]
    public async Task PutAndGetVariantsPrintTheSame()
    {
        foreach (var (k, v) in new[] { ("pg/a", "1"), ("pg/b", "22"), ("pg/c", "333"), ("pg/b", "4444"), ("pg/d", "five"), ("ph/x", "other") })
        {
            await Compare.SameAsync(pair, "put", k, v);
        }
        await Compare.SameAsync(pair, "put", "pg/j", "v", "-w", "json");
        await Compare.SameAsync(pair, "put", "pg/a", "again", "--prev-kv");
        await Compare.SameAsync(pair, "get", "pg/a");
        await Compare.SameAsync(pair, "get", "pg/missing");
        await Compare.SameAsync(pair, "get", "pg/", "--prefix");
        await Compare.SameAsync(pair, "get", "pg/b", "pg/d");
        await Compare.SameAsync(pair, "get", "pg/c", "--from-key", "--limit", "3");
        await Compare.SameAsync(pair, "get", "pg/", "--prefix", "--limit", "2");
        await Compare.SameAsync(pair, "get", "pg/", "--prefix", "--sort-by", "VALUE", "--order", "DESCEND");
        await Compare.SameAsync(pair, "get", "pg/", "--prefix", "--sort-by", "MODIFY", "--order", "ASCEND");
        await Compare.SameAsync(pair, "get", "pg/", "--prefix", "--sort-by", "VERSION", "--order", "DESCEND", "--limit", "2");
        await Compare.SameAsync(pair, "get", "pg/", "--prefix", "--sort-by", "CREATE");
        await Compare.SameAsync(pair, "get", "pg/", "--prefix", "--keys-only");
        await Compare.SameAsync(pair, "get", "pg/", "--prefix", "--count-only", "-w", "fields");
        await Compare.SameAsync(pair, "get", "pg/", "--prefix", "--print-value-only");
        await Compare.SameAsync(pair, "get", "pg/", "--prefix", "-w", "json");
        await Compare.SameAsync(pair, "get", "pg/", "--prefix", "-w", "fields");
        await Compare.SameAsync(pair, "get", "pg/b", "--consistency=s");
        await Compare.SameAsync(pair, "get", "pg/", "--prefix", "--consistency=s", "-w", "json", "--limit", "1");

        foreach (var s in new[] { pair.Etcd, pair.Kv })
        {
            s.Vars["rev"] = (await Compare.RevisionAsync(s)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        await Compare.SameAsync(pair, "put", "pg/b", "later");
        await Compare.SameAsync(pair, s => ["get", "pg/b", "--rev", s.Vars["rev"]]);
        await Compare.SameAsync(pair, s => ["get", "pg/", "--prefix", "--rev", s.Vars["rev"], "-w", "json"]);
        await Compare.SameAsync(pair, "get", "pg/b", "--rev", "100000");
        await Compare.SameAsync(pair, "get", "", "--from-key", "--keys-only", "--limit", "1");
        await Compare.SameAsync(pair, "get", "pg/", "--prefix", "--sort-by", "KEY", "--order", "DESCEND", "--keys-only");
    }

    [Fact]
    public async Task DeleteVariantsPrintTheSame()
    {
        foreach (var k in new[] { "dl/a", "dl/b", "dl/c", "dl/d", "dl/e", "dm/a" })
        {
            await Compare.SameAsync(pair, "put", k, "v-" + k);
        }
        await Compare.SameAsync(pair, "del", "dl/a");
        await Compare.SameAsync(pair, "del", "dl/a");
        await Compare.SameAsync(pair, "del", "dl/b", "--prev-kv");
        await Compare.SameAsync(pair, "del", "dl/c", "dl/e", "-w", "json");
        await Compare.SameAsync(pair, "get", "dl/", "--prefix");
        await Compare.SameAsync(pair, "del", "dl/", "--prefix", "--prev-kv");
        await Compare.SameAsync(pair, "put", "dz/1", "x");
        await Compare.SameAsync(pair, "put", "dz/2", "y");
        await Compare.SameAsync(pair, "del", "dz/", "--from-key", "--prev-kv", "-w", "json");
        await Compare.SameAsync(pair, "get", "", "--from-key", "--count-only", "-w", "fields");
    }

    [Fact]
    public async Task TxnFromStdinPrintsTheSame()
    {
        await Compare.SameAsync(pair, "put", "tx/a", "1");
        await Compare.SameAsync(pair, "put", "tx/b", "2");
        var taken = "value(\"tx/a\") = \"1\"\nmod(\"tx/b\") > \"0\"\n\nput tx/c \"then\"\nget tx/a\ndel tx/b\n\nput tx/c \"else\"\n\n";
        await Compare.SameAsync(pair, _ => ["txn", "-i"], taken);
        var notTaken = "version(\"tx/a\") = \"7\"\n\nput tx/d \"then\"\n\nput tx/d \"else\"\nget tx/ --prefix\n\n";
        await Compare.SameAsync(pair, _ => ["txn", "-i", "-w", "json"], notTaken);
        var create = "create(\"tx/none\") = \"0\"\n\nput tx/none \"created\" --prev-kv\n\n\n";
        await Compare.SameAsync(pair, _ => ["txn", "-i", "-w", "fields"], create);
        await Compare.SameAsync(pair, _ => ["txn", "-i"], "mod(\"tx/a\") < \"1000000\"\n\nput tx/e taken\n\ndel tx/ --prefix --prev-kv\n\n\n");
        await Compare.SameAsync(pair, _ => ["txn", "-i"], "value(\"tx/a\") != \"1\"\nvalue(\"tx/b\") < \"x\"\n\nput tx/f then\n\nput tx/f else --prev-kv\n\n");
        await Compare.SameAsync(pair, "get", "tx/", "--prefix");
    }

    [Fact]
    public async Task IgnoreValueAndIgnoreLeasePrintTheSame()
    {
        foreach (var s in new[] { pair.Etcd, pair.Kv })
        {
            Compare.RememberLease(s, "L_ign", await Ctl.RunAsync(s.Url, "lease", "grant", "300"));
        }
        await Compare.SameAsync(pair, s => ["put", "ig/a", "first", "--lease=" + s.Vars["L_ign"]]);
        await Compare.SameAsync(pair, "put", "ig/a", "--ignore-lease", "second");
        await Compare.SameAsync(pair, "get", "ig/a", "-w", "json");
        await Compare.SameAsync(pair, "put", "ig/a", "--ignore-value");
        await Compare.SameAsync(pair, "get", "ig/a", "-w", "json");
        await Compare.SameAsync(pair, "put", "ig/missing", "--ignore-value");
        await Compare.SameAsync(pair, "put", "ig/missing", "x", "--ignore-lease");
        await Compare.SameAsync(pair, "put", "ig/a", "--ignore-value", "--ignore-lease", "-w", "json");
        await Compare.SameAsync(pair, s => ["lease", "revoke", s.Vars["L_ign"]]);
        await Compare.SameAsync(pair, "get", "ig/", "--prefix");
    }
}
