using Microsoft.Extensions.Logging.Abstractions;
using Realtime.Pusher;
using Realtime.Relay.Configuration;
using Realtime.Relay.Storage;

namespace Realtime.Relay.Tests.Storage;

/// <summary>
/// LiteDB 5.0.21's mapper can hand a half-built entity map to a second thread that touches a
/// type at the same moment ("Member X not found on BsonMapper"). Many test relays share one
/// process, and a relay's first requests arrive together, so first use must be safe.
/// </summary>
public sealed class DocumentMappingTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mapping-" + Guid.NewGuid().ToString("N"));

    // Used by this test only, so its first use in the process is this test's.
    public sealed class FirstUseDoc
    {
        public int Id { get; set; }
        public string OwnerId { get; set; } = "";
        public string Name { get; set; } = "";
        public List<FirstUsePart> Parts { get; set; } = new();
    }

    public sealed class FirstUsePart
    {
        public string Label { get; set; } = "";
    }

    [Fact]
    public void Threads_using_a_document_type_for_the_first_time_together_all_succeed()
    {
        var settings = new RelaySettings
        {
            DatabasePath = Path.Combine(_dir, "relay.db"),
        };
        using var db = new RelayDatabase(settings, NullLogger<RelayDatabase>.Instance);
        const int threads = 32;
        // Each thread's collection exists before they start (made untyped, so FirstUseDoc stays unmapped): creating
        // collections at the same moment is a different LiteDB 5.0.21 race (its header's collection list, LiteDB issue
        // 2891), which made this test fail once with "Collection was modified" in a clean-clone run.
        for (var i = 0; i < threads; i++) db.Database.GetCollection("first_use_" + i).Insert(new LiteDB.BsonDocument { ["_id"] = 0 });
        using var start = new Barrier(threads);
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();

        var workers = Enumerable.Range(0, threads).Select(i => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                var docs = db.Collection<FirstUseDoc>("first_use_" + i);
                docs.EnsureIndex(d => d.OwnerId);
                docs.Insert(new FirstUseDoc { Id = 1, OwnerId = "o" + i, Name = "n", Parts = [new FirstUsePart { Label = "p" }] });
                var found = docs.FindOne(d => d.OwnerId == "o" + i);
                if (found?.Parts.Single().Label != "p") throw new InvalidOperationException("read back wrong");
            }
            catch (Exception e) { errors.Enqueue(e); }
        })).ToList();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());

        Assert.Empty(errors.Select(e => e.ToString()));
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}
