package org.cil4j.serve.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.cil4j.checkpoint.CheckpointStore;

/**
 * Content-addressed files: a blob is named by the SHA-256 of its bytes, written to a temporary
 * file, forced to disk and renamed into place, so a crash leaves either the whole file or none.
 * No client-supplied string ever becomes a path here: names are hashes this class computes.
 */
public final class Blobs {
    private final Path dir;

    /** @param dir the blob folder (created) */
    public Blobs(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Stores bytes (a no-op when a blob with the same content exists).
     *
     * @param bytes the content
     * @return its hash, the blob's name
     */
    public String put(byte[] bytes) {
        String hash = CheckpointStore.sha256(bytes);
        Path target = path(hash);
        if (Files.exists(target)) {
            return hash;
        }
        try {
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempFile(target.getParent(), ".up-", ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store a blob under " + dir + ": " + e.getMessage(), e);
        }
        return hash;
    }

    /**
     * @param hash a blob's name
     * @return its bytes
     */
    public byte[] get(String hash) {
        try {
            return Files.readAllBytes(path(hash));
        } catch (IOException e) {
            throw new UncheckedIOException("blob " + hash + " is missing from " + dir, e);
        }
    }

    /**
     * Stores contents, runs the transaction that commits the rows referring to them, then stores
     * again whatever a concurrent {@link #deleteUnreferenced} removed between the two. Blobs are
     * shared by content: another classifier, or another replica, may be deleting the same file.
     *
     * @param contents the files' bytes
     * @param commitRows commits the rows, given the contents' hashes in order
     * @param <T> what the transaction returns
     * @return what the transaction returned
     */
    public <T> T putThenCommit(List<byte[]> contents, Function<List<String>, T> commitRows) {
        List<String> hashes = contents.stream().map(this::put).toList();
        T out = commitRows.apply(hashes);
        contents.forEach(this::put); // a no-op for each file still there
        return out;
    }

    /**
     * Deletes a blob that no row refers to. It keeps the bytes while it deletes, and puts them
     * back when a row refers to them by the time the file is gone (an upload of the same content
     * committed meanwhile); with {@link #putThenCommit} on the other side, a committed row never
     * points to a missing file, whatever the order of the two.
     *
     * @param hash the blob
     * @param referenced whether a committed row refers to it now
     * @return whether the file is gone
     */
    public boolean deleteUnreferenced(String hash, BooleanSupplier referenced) {
        if (referenced.getAsBoolean() || !Files.exists(path(hash))) {
            return false;
        }
        byte[] bytes;
        try {
            bytes = get(hash);
        } catch (UncheckedIOException e) {
            return false; // deleted meanwhile
        }
        delete(hash);
        if (referenced.getAsBoolean()) {
            put(bytes);
            return false;
        }
        return true;
    }

    /** @param hash a blob to delete (absent: nothing happens) */
    public void delete(String hash) {
        try {
            Files.deleteIfExists(path(hash));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Deletes blobs no row refers to (left by a crash between a file and its row, or between a
     * row's deletion and its file's), and temporary files, older than {@code minAgeMillis}.
     *
     * @param referenced whether a hash is still referenced
     * @param minAgeMillis files younger than this are left alone (an upload may be under way)
     * @return how many files were deleted
     */
    public int sweep(Predicate<String> referenced, long minAgeMillis) {
        long cutoff = System.currentTimeMillis() - minAgeMillis;
        int n = 0;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                if (Files.getLastModifiedTime(f).toMillis() > cutoff) {
                    continue;
                }
                String name = f.getFileName().toString();
                if (name.startsWith(".up-") || !referenced.test(name)) {
                    Files.deleteIfExists(f);
                    n++;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return n;
    }

    /** @return the folder */
    public Path dir() {
        return dir;
    }

    private Path path(String hash) {
        if (hash.length() != 64 || !HEX.containsAll(hash.chars().boxed().toList())) {
            throw new IllegalArgumentException("not a blob name: " + hash);
        }
        return dir.resolve(hash.substring(0, 2)).resolve(hash);
    }

    private static final Set<Integer> HEX = Set.copyOf(HexFormat.of()
            .formatHex(new byte[] {0x01, 0x23, 0x45, 0x67, (byte) 0x89, (byte) 0xab, (byte) 0xcd, (byte) 0xef})
            .chars()
            .boxed()
            .toList());
}
