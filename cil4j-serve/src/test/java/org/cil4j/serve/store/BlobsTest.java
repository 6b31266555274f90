package org.cil4j.serve.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Blobs are shared by content, so an upload and a deletion of the same bytes may interleave
 * (another classifier, another replica). Each test forces one interleaving the two sides must
 * survive: a committed row never points to a missing file.
 */
class BlobsTest {
    private static final byte[] IMAGE = "the same image, uploaded twice".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    @Test
    void aDeletionPutsTheBytesBackWhenAnUploadCommittedWhileItDeleted() {
        Blobs blobs = new Blobs(dir);
        String hash = blobs.put(IMAGE);
        AtomicInteger asked = new AtomicInteger();
        // unreferenced when the deletion decides; referenced by the time the file is gone
        boolean gone = blobs.deleteUnreferenced(hash, () -> asked.getAndIncrement() > 0);
        assertFalse(gone);
        assertEquals(2, asked.get(), "checked before and after deleting");
        assertArrayEquals(IMAGE, blobs.get(hash), "the committed row's file is there");
    }

    @Test
    void anUploadPutsItsFilesBackWhenADeletionRemovedThemBeforeItsRowsCommitted() {
        Blobs blobs = new Blobs(dir);
        String existing = blobs.put(IMAGE); // kept by another classifier's phase, about to be freed
        List<String> hashes = blobs.putThenCommit(List.of(IMAGE), h -> {
            // the upload reused the existing file; the other side deletes it before the commit
            assertTrue(blobs.deleteUnreferenced(existing, () -> false), "no row refers to it yet: deleted");
            return h;
        });
        assertEquals(List.of(existing), hashes);
        assertArrayEquals(IMAGE, blobs.get(existing), "the upload's committed row has its file");
    }

    @Test
    void anUnreferencedBlobIsDeletedAndAReferencedOneKept() {
        Blobs blobs = new Blobs(dir);
        String hash = blobs.put(IMAGE);
        assertFalse(blobs.deleteUnreferenced(hash, () -> true));
        assertArrayEquals(IMAGE, blobs.get(hash));
        assertTrue(blobs.deleteUnreferenced(hash, () -> false));
        assertFalse(blobs.deleteUnreferenced(hash, () -> false), "already gone");
        assertEquals(0, blobs.sweep(h -> false, 0), "no file left");
    }
}
