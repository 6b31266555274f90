package org.cil4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store keeps the last two checkpoints and clears what a crash in a write left. */
class CheckpointStoreTest {
    @TempDir
    Path tmp;

    private static Manifest manifest(long seq) {
        return new Manifest(CheckpointStore.FORMAT, seq, "hash", null, 1, 0, 0, List.of(2), 0, null, null);
    }

    @Test
    void keepsTheLastTwoAndDeletesPartialFoldersOfACrashedWrite() throws Exception {
        CheckpointStore store = new CheckpointStore(tmp.resolve("checkpoints"));
        store.write(manifest(1), Map.of("start.ndlist", new byte[] {1, 2, 3}));
        // a write killed half-way leaves its temporary folder behind
        Path partial = Files.createDirectories(tmp.resolve("checkpoints/.tmp-000002-123"));
        Files.write(partial.resolve("start.ndlist"), new byte[] {9});
        store.write(manifest(2), Map.of("start.ndlist", new byte[] {4}));
        store.write(manifest(3), Map.of("start.ndlist", new byte[] {5, 6}));

        assertFalse(Files.exists(partial), "the partial folder is gone");
        assertEquals(
                List.of("000003", "000002"),
                store.list().stream().map(p -> p.getFileName().toString()).toList());
        try (var files = Files.list(tmp.resolve("checkpoints"))) {
            assertEquals(2, files.count(), "nothing else is left");
        }
        assertArrayEquals(new byte[] {5, 6}, store.newest().orElseThrow().file("start.ndlist"));
    }
}
