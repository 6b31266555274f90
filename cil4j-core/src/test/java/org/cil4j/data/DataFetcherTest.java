package org.cil4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.cil4j.CilException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataFetcherTest {
    @TempDir
    Path tmp;

    private static String md5(byte[] b) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
    }

    private static DataFetcher fetcher(DataFetcher.Source s) {
        return new DataFetcher(Map.of(s.name(), s), Duration.ofSeconds(2), Duration.ofSeconds(5));
    }

    private List<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !p.equals(dir))
                    .map(p -> dir.relativize(p).toString())
                    .sorted()
                    .toList();
        }
    }

    /** A tar.gz holding {@code top/a.bin} and {@code top/sub/b.txt}. */
    private Path archive() throws IOException {
        Path tgz = tmp.resolve("src/test.tar.gz");
        Files.createDirectories(tgz.getParent());
        try (OutputStream fo = Files.newOutputStream(tgz);
                TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(fo))) {
            tar.putArchiveEntry(new TarArchiveEntry("top/"));
            tar.closeArchiveEntry();
            for (String[] f : new String[][] {{"top/a.bin", "AAAA"}, {"top/sub/b.txt", "hello"}}) {
                TarArchiveEntry e = new TarArchiveEntry(f[0]);
                byte[] data = f[1].getBytes(StandardCharsets.UTF_8);
                e.setSize(data.length);
                tar.putArchiveEntry(e);
                tar.write(data);
                tar.closeArchiveEntry();
            }
        }
        return tgz;
    }

    @Test
    void downloadsVerifiesAndExtracts() throws Exception {
        Path tgz = archive();
        DataFetcher.Source s = new DataFetcher.Source(
                "toy",
                List.of(new DataFetcher.Download(tgz.toUri(), "toy.tar.gz", md5(Files.readAllBytes(tgz)))),
                true,
                List.of("top/sub/b.txt"),
                "");
        Path target = tmp.resolve("data");
        assertEquals(target, fetcher(s).fetch("toy", target));
        assertEquals(List.of("top", "top/a.bin", "top/sub", "top/sub/b.txt"), listing(target));
        assertEquals("hello", Files.readString(target.resolve("top/sub/b.txt")));
        // A second fetch finds it complete and does not download (the source is gone).
        Files.delete(tgz);
        fetcher(s).fetch("toy", target);
    }

    @Test
    void plainFilesAreRenamedIntoPlace() throws Exception {
        Path src = tmp.resolve("src/f.gz");
        Files.createDirectories(src.getParent());
        byte[] data = TestFiles.gzip("content".getBytes(StandardCharsets.UTF_8));
        Files.write(src, data);
        DataFetcher.Source s = new DataFetcher.Source(
                "plain", List.of(new DataFetcher.Download(src.toUri(), "f.gz", md5(data))), false, List.of("f.gz"), "");
        Path target = tmp.resolve("data");
        fetcher(s).fetch("plain", target);
        assertEquals(List.of("f.gz"), listing(target));
        assertArrayEquals(data, Files.readAllBytes(target.resolve("f.gz")));
    }

    @Test
    void checksumMismatchLeavesNothingBehind() throws Exception {
        Path tgz = archive();
        DataFetcher.Source s = new DataFetcher.Source(
                "toy",
                List.of(new DataFetcher.Download(tgz.toUri(), "toy.tar.gz", "0123456789abcdef0123456789abcdef")),
                true,
                List.of("top/a.bin"),
                "");
        Path target = tmp.resolve("data");
        CilException e = assertThrows(CilException.class, () -> fetcher(s).fetch("toy", target));
        assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
        assertTrue(e.getMessage().contains("toy.tar.gz"), e.getMessage());
        assertEquals(List.of(), listing(target));
    }

    @Test
    void aFileAlreadyThereIsVerified() throws Exception {
        Path target = Files.createDirectories(tmp.resolve("data"));
        Files.writeString(target.resolve("toy.tar.gz"), "not the archive");
        DataFetcher.Source s = new DataFetcher.Source(
                "toy",
                List.of(new DataFetcher.Download(
                        URI.create("http://127.0.0.1:9/never"),
                        "toy.tar.gz",
                        md5("x".getBytes(StandardCharsets.UTF_8)))),
                true,
                List.of("top/a.bin"),
                "");
        CilException e = assertThrows(CilException.class, () -> fetcher(s).fetch("toy", target));
        assertTrue(e.getMessage().contains(target.resolve("toy.tar.gz").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
    }

    @Test
    void unreachableNetworkFailsFastWithAdvice() throws Exception {
        int port;
        try (ServerSocket ss = new ServerSocket(0)) {
            port = ss.getLocalPort();
        }
        URI uri = URI.create("http://127.0.0.1:" + port + "/cifar-10-binary.tar.gz");
        DataFetcher.Source s = new DataFetcher.Source(
                "toy",
                List.of(new DataFetcher.Download(uri, "toy.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530")),
                true,
                List.of("top/a.bin"),
                "Or ask a friend.");
        Path target = tmp.resolve("data");
        long t0 = System.nanoTime();
        CilException e = assertThrows(CilException.class, () -> fetcher(s).fetch("toy", target));
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "should fail fast");
        String m = e.getMessage();
        assertTrue(m.contains("network is unreachable"), m);
        assertTrue(m.contains(uri.toString()), m);
        assertTrue(m.contains("by hand"), m);
        assertTrue(m.contains(target.toString()), m);
        assertTrue(m.contains("Or ask a friend."), m);
        assertEquals(List.of(), listing(target));
    }

    @Test
    void unsafeArchiveEntriesAreRefused() throws Exception {
        Path tgz = tmp.resolve("evil.tar.gz");
        try (OutputStream fo = Files.newOutputStream(tgz);
                TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(fo))) {
            TarArchiveEntry e = new TarArchiveEntry("../escape.txt");
            e.setSize(1);
            tar.putArchiveEntry(e);
            tar.write('x');
            tar.closeArchiveEntry();
        }
        Path target = Files.createDirectories(tmp.resolve("data"));
        CilException e = assertThrows(CilException.class, () -> DataFetcher.extract(tgz, target));
        assertTrue(e.getMessage().contains("evil.tar.gz"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("escape.txt")));
        assertEquals(List.of(), listing(target));
    }

    @Test
    void officialSourcesAndUnknownNames() {
        DataFetcher f = new DataFetcher();
        assertEquals(List.of("cifar10", "cifar100", "fashion-mnist"), f.names());
        assertEquals(
                4, DataFetcher.officialSources().get("fashion-mnist").files().size());
        CilException e = assertThrows(CilException.class, () -> f.fetch("imagenet", tmp));
        assertTrue(e.getMessage().contains("imagenet"), e.getMessage());
    }
}
