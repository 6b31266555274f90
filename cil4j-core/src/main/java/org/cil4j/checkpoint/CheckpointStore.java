package org.cil4j.checkpoint;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cil4j.CilException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checkpoints of a run, one folder each under {@code OUT/checkpoints}, named by sequence
 * number ({@code 000012}). A folder holds {@code manifest.json}, {@code manifest.sha256} (the
 * SHA-256 of the manifest) and the tensor files the manifest lists with their SHA-256.
 *
 * <p>Writing is atomic: the files go to a temporary folder, each is forced to disk, the folder
 * is renamed into place and the parent folder is forced; only then are older checkpoints
 * deleted, keeping the previous one. A crash at any moment leaves the last complete checkpoint
 * intact. Reading verifies every checksum before anything is decoded, so a truncated or
 * tampered file is named in a {@link CilException} and never half-loaded.
 */
public final class CheckpointStore {
    /** The format tag of this version. */
    public static final String FORMAT = "cil4j-checkpoint/1";

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(SerializationFeature.INDENT_OUTPUT);
    /** The manifest file of a checkpoint folder. */
    public static final String MANIFEST = "manifest.json";

    private static final String MANIFEST_SUM = "manifest.sha256";
    private static final long MAX_FILE = 1L << 31;

    private final Path dir;

    /** @param dir the checkpoints folder (created on the first write) */
    public CheckpointStore(Path dir) {
        this.dir = dir;
    }

    /** @return the checkpoints folder */
    public Path dir() {
        return dir;
    }

    /**
     * A checkpoint read back and verified.
     *
     * @param dir its folder
     * @param manifest its manifest
     * @param files the content of every listed file
     */
    public record Loaded(Path dir, Manifest manifest, Map<String, byte[]> files) {
        /**
         * @param name a listed file
         * @return its content
         */
        public byte[] file(String name) {
            byte[] b = files.get(name);
            if (b == null) {
                throw new CilException(dir.resolve(MANIFEST) + ": lists no file " + name);
            }
            return b;
        }
    }

    /**
     * Writes a checkpoint atomically; keeps the previous one and deletes older ones.
     *
     * @param manifest the manifest (its file list is filled in here)
     * @param files file name to content
     * @return the checkpoint's folder
     */
    public Path write(Manifest manifest, Map<String, byte[]> files) {
        String name = String.format("%06d", manifest.seq());
        Path target = dir.resolve(name);
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempDirectory(dir, ".tmp-" + name + "-");
            Map<String, Manifest.FileEntry> entries = new LinkedHashMap<>();
            for (Map.Entry<String, byte[]> e : files.entrySet()) {
                if (!e.getKey().matches("[a-z0-9-]+\\.ndlist")) {
                    throw new IllegalArgumentException("bad checkpoint file name " + e.getKey());
                }
                writeForced(tmp.resolve(e.getKey()), e.getValue());
                entries.put(e.getKey(), new Manifest.FileEntry(e.getValue().length, sha256(e.getValue())));
            }
            byte[] json = JSON.writeValueAsBytes(manifest.withFiles(entries));
            writeForced(tmp.resolve(MANIFEST), json);
            writeForced(tmp.resolve(MANIFEST_SUM), sha256(json).getBytes(StandardCharsets.US_ASCII));
            forceDir(tmp);
            if (Files.exists(target)) {
                deleteTree(target);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target);
            }
            tmp = null;
            forceDir(dir);
        } catch (IOException e) {
            throw new CilException(
                    "cannot write checkpoint " + target + " (" + e + "); the previous checkpoint is intact", e);
        } finally {
            if (tmp != null) {
                try {
                    deleteTree(tmp);
                } catch (IOException e) {
                    LOG.warn("cannot delete the partial checkpoint {}: {}", tmp, e.toString());
                }
            }
        }
        deleteStaleTemporaries();
        List<Path> all = list();
        for (int i = 2; i < all.size(); i++) {
            try {
                deleteTree(all.get(i));
            } catch (IOException e) {
                LOG.warn("cannot delete the old checkpoint {}: {}", all.get(i), e.toString());
            }
        }
        return target;
    }

    /**
     * Deletes the partial folders that a crash in the middle of a write left (one run writes
     * its checkpoints one at a time, so none of them is in progress).
     */
    private void deleteStaleTemporaries() {
        try (DirectoryStream<Path> ds =
                Files.newDirectoryStream(dir, p -> p.getFileName().toString().startsWith(".tmp-"))) {
            for (Path p : ds) {
                deleteTree(p);
            }
        } catch (IOException e) {
            LOG.warn("cannot delete partial checkpoints in {}: {}", dir, e.toString());
        }
    }

    /**
     * @return complete checkpoint folders, newest first (partial temporary folders are ignored)
     */
    public List<Path> list() {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> ds =
                Files.newDirectoryStream(dir, p -> p.getFileName().toString().matches("\\d{6,}"))) {
            ds.forEach(out::add);
        } catch (IOException e) {
            throw new CilException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        out.sort(Comparator.comparing((Path p) -> Long.parseLong(p.getFileName().toString()))
                .reversed());
        return out;
    }

    /**
     * Reads the newest checkpoint.
     *
     * @return it, verified, or empty when there is none
     * @throws CilException naming the file when the newest checkpoint is damaged
     */
    public Optional<Loaded> newest() {
        List<Path> all = list();
        if (all.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(read(all.get(0)));
        } catch (CilException e) {
            String hint = all.size() > 1
                    ? "; delete " + all.get(0) + " to resume from the previous checkpoint "
                            + all.get(1).getFileName()
                    : "";
            throw new CilException(e.getMessage() + hint, e);
        }
    }

    /**
     * Reads and verifies one checkpoint folder.
     *
     * @param ckpt the folder
     * @return its manifest and files
     */
    public static Loaded read(Path ckpt) {
        byte[] json = readLimited(ckpt.resolve(MANIFEST));
        String sum = new String(readLimited(ckpt.resolve(MANIFEST_SUM)), StandardCharsets.US_ASCII);
        if (!sum.equals(sha256(json))) {
            throw new CilException(ckpt.resolve(MANIFEST) + ": its SHA-256 does not match " + MANIFEST_SUM
                    + " (one of them was truncated or modified); the checkpoint is damaged");
        }
        Manifest m;
        try {
            m = JSON.readValue(json, Manifest.class);
        } catch (IOException e) {
            throw new CilException(ckpt.resolve(MANIFEST) + ": not a valid manifest: " + e.getMessage(), e);
        }
        if (!FORMAT.equals(m.format())) {
            throw new CilException(ckpt.resolve(MANIFEST) + ": format '" + m.format() + "' is not " + FORMAT
                    + " (written by another version of cil4j)");
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (Map.Entry<String, Manifest.FileEntry> e :
                (m.files() == null ? Map.<String, Manifest.FileEntry>of() : m.files()).entrySet()) {
            if (!e.getKey().matches("[a-z0-9-]+\\.ndlist")) {
                throw new CilException(ckpt.resolve(MANIFEST) + ": bad file name '" + e.getKey() + "'");
            }
            Path f = ckpt.resolve(e.getKey());
            byte[] b = readLimited(f);
            if (b.length != e.getValue().bytes()) {
                throw new CilException(f + ": " + b.length + " bytes, the manifest says "
                        + e.getValue().bytes() + " (truncated or modified)");
            }
            if (!sha256(b).equals(e.getValue().sha256())) {
                throw new CilException(f + ": checksum mismatch (the file was modified or damaged)");
            }
            files.put(e.getKey(), b);
        }
        return new Loaded(ckpt, m, files);
    }

    private static byte[] readLimited(Path f) {
        try {
            if (Files.size(f) > MAX_FILE) {
                throw new CilException(f + ": too large for a checkpoint file");
            }
            return Files.readAllBytes(f);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CilException("checkpoint file missing: " + f, e);
        } catch (IOException e) {
            throw new CilException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    /**
     * @param b bytes
     * @return their SHA-256, lower-case hex
     */
    public static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void writeForced(Path f, byte[] content) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.wrap(content);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
    }

    private static void forceDir(Path d) {
        try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some file systems cannot open folders; the rename is still atomic
        }
    }

    /**
     * Deletes a folder and everything in it; nothing when it does not exist.
     *
     * @param p the folder
     * @throws IOException when something cannot be deleted
     */
    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }
}
