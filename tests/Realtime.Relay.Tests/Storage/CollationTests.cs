using LiteDB;
using Microsoft.Extensions.Logging.Abstractions;
using Realtime.Pusher;
using Realtime.Relay.Configuration;
using Realtime.Relay.Storage;
using Realtime.Testing;

namespace Realtime.Relay.Tests.Storage;

/// <summary>Ids compare exactly (binary collation), also in files made when LiteDB's default ignored case.</summary>
public sealed class CollationTests
{
    private static RelaySettings SettingsFor(string path) => new()
    {
        DatabasePath = path,
    };

    [Fact]
    public void A_new_database_keeps_ids_that_differ_only_in_case_apart()
    {
        using var db = new RelayDatabase(SettingsFor(TempDirectory.NewDatabasePath("collation-new")), NullLogger<RelayDatabase>.Instance);
        var docs = db.Database.GetCollection("docs");
        docs.Insert(new BsonDocument { ["_id"] = "Job-A", ["n"] = 1 });
        docs.Insert(new BsonDocument { ["_id"] = "job-a", ["n"] = 2 });
        Assert.Equal(1, docs.FindById("Job-A")["n"].AsInt32);
        Assert.Equal(2, docs.FindById("job-a")["n"].AsInt32);
    }

    [Fact]
    public void A_file_made_with_the_old_case_insensitive_collation_is_converted_at_start_keeping_its_documents()
    {
        var path = TempDirectory.NewDatabasePath("collation-old");
        using (var old = new LiteDatabase(new ConnectionString { Filename = path }))
        {
            Assert.NotEqual(System.Globalization.CompareOptions.Ordinal, old.Collation.SortOptions); // LiteDB's default ignores case
            old.GetCollection("docs").Insert(new BsonDocument { ["_id"] = "Job-A", ["n"] = 1 });
        }

        using (var db = new RelayDatabase(SettingsFor(path), NullLogger<RelayDatabase>.Instance))
        {
            Assert.Equal(System.Globalization.CompareOptions.Ordinal, db.Database.Collation.SortOptions);
            var docs = db.Database.GetCollection("docs");
            Assert.Equal(1, docs.FindById("Job-A")["n"].AsInt32);
            Assert.Null(docs.FindById("job-a"));
            docs.Insert(new BsonDocument { ["_id"] = "job-a", ["n"] = 2 });
            Assert.Equal(2, docs.Count());
        }

        using var reopened = new RelayDatabase(SettingsFor(path), NullLogger<RelayDatabase>.Instance);
        Assert.Equal(2, reopened.Database.GetCollection("docs").Count());
    }
}
