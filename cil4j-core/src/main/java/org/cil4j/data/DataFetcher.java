package org.cil4j.data;

import java.io.BufferedInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLConnection;
import java.net.UnknownHostException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.cil4j.CilException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads the official archives of the datasets that have one (CIFAR-10, CIFAR-100 and
 * Fashion-MNIST), verifies their MD5 checksums and unpacks them.
 *
 * <p>Nothing half-written ever carries a final name: each download goes to a temporary file in
 * the target folder and is renamed after its checksum matched; an archive is extracted into a
 * temporary folder whose top-level entries are renamed into place once extraction finished.
 * An archive or file that is already in the target folder (for example one downloaded by hand)
 * is verified and used instead of downloading it again.
 *
 * <p>Connections time out after {@link #CONNECT_TIMEOUT}, so on a machine without internet
 * access the fetch fails fast, with a message that says how to get the files by hand.
 */
public final class DataFetcher {
    /** How long to wait for a connection. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    /** How long a stalled download may wait for data. */
    public static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

    /** Environment variable naming the folder that fetched datasets go to by default. */
    public static final String ENV = "CIL4J_DATA";

    private static final Logger LOG = LoggerFactory.getLogger(DataFetcher.class);

    /**
     * One file to download.
     *
     * @param uri where to get it (http, https or file)
     * @param fileName the name it gets in the target folder
     * @param md5 its expected MD5 checksum, lower-case hex
     */
    public record Download(URI uri, String fileName, String md5) {}

    /**
     * Everything that makes up one dataset.
     *
     * @param name the dataset's name, as in {@link Datasets}
     * @param files the files to download
     * @param extract true when each file is a tar.gz archive to unpack (and then delete)
     * @param ready paths relative to the target folder that exist once the dataset is complete
     * @param hint extra advice for getting the data by hand, or an empty string
     */
    public record Source(String name, List<Download> files, boolean extract, List<String> ready, String hint) {}

    private final Map<String, Source> sources;
    private final Duration connectTimeout;
    private final Duration readTimeout;

    /** Creates a fetcher of the official sources with the default timeouts. */
    public DataFetcher() {
        this(officialSources(), CONNECT_TIMEOUT, READ_TIMEOUT);
    }

    /**
     * Creates a fetcher of the given sources (for a mirror, or for tests).
     *
     * @param sources the sources by dataset name
     * @param connectTimeout connection timeout
     * @param readTimeout timeout for a stalled read
     */
    public DataFetcher(Map<String, Source> sources, Duration connectTimeout, Duration readTimeout) {
        this.sources = Map.copyOf(sources);
        this.connectTimeout = connectTimeout;
        this.readTimeout = readTimeout;
    }

    /**
     * The official download locations and checksums.
     *
     * @return sources by dataset name: "cifar10", "cifar100", "fashion-mnist"
     */
    public static Map<String, Source> officialSources() {
        Map<String, Source> m = new LinkedHashMap<>();
        m.put(
                "cifar10",
                new Source(
                        "cifar10",
                        List.of(new Download(
                                URI.create("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"),
                                "cifar-10-binary.tar.gz",
                                "c32a1d4ab5d03f1284b67883e8d87530")),
                        true,
                        List.of(CifarLoader.CIFAR10_FOLDER + "/test_batch.bin"),
                        ""));
        m.put(
                "cifar100",
                new Source(
                        "cifar100",
                        List.of(new Download(
                                URI.create("https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"),
                                "cifar-100-binary.tar.gz",
                                "03b5dce01913d631647c71ecec9e9cb8")),
                        true,
                        List.of(CifarLoader.CIFAR100_FOLDER + "/test.bin"),
                        ""));
        // URLs and checksums from the table in the Fashion-MNIST README (zalandoresearch).
        String fm = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";
        List<Download> fmFiles = List.of(
                new Download(
                        URI.create(fm + "train-images-idx3-ubyte.gz"),
                        "train-images-idx3-ubyte.gz",
                        "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                new Download(
                        URI.create(fm + "train-labels-idx1-ubyte.gz"),
                        "train-labels-idx1-ubyte.gz",
                        "25c81989df183df01b3e8a0aad5dffbe"),
                new Download(
                        URI.create(fm + "t10k-images-idx3-ubyte.gz"),
                        "t10k-images-idx3-ubyte.gz",
                        "bef4ecab320f06d8554ea6380940ec79"),
                new Download(
                        URI.create(fm + "t10k-labels-idx1-ubyte.gz"),
                        "t10k-labels-idx1-ubyte.gz",
                        "bb300cfdad3c16e7a12a480ee83cd310"));
        List<String> fmReady = new ArrayList<>();
        for (Download d : fmFiles) {
            fmReady.add(d.fileName());
        }
        m.put(
                "fashion-mnist",
                new Source(
                        "fashion-mnist",
                        fmFiles,
                        false,
                        fmReady,
                        "On Debian or Ubuntu, `apt-get install dataset-fashion-mnist` installs the"
                                + " same files in /usr/share/datasets/fashion-mnist."));
        return m;
    }

    /**
     * The names this fetcher can download.
     *
     * @return dataset names
     */
    public List<String> names() {
        return List.copyOf(new TreeSet<>(sources.keySet()));
    }

    /**
     * The folder fetched data goes to when none is given: {@code $CIL4J_DATA/<name>} when that
     * variable is set, else {@code ~/.cache/cil4j/data/<name>}.
     *
     * @param name a dataset name
     * @return the folder (which may not exist)
     */
    public static Path defaultDir(String name) {
        String env = System.getenv(ENV);
        Path home = env != null && !env.isBlank()
                ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "cil4j", "data");
        return home.resolve(name);
    }

    /**
     * Downloads, verifies and unpacks a dataset into a folder. Does nothing when the folder
     * already holds it.
     *
     * @param name "cifar10", "cifar100" or "fashion-mnist"
     * @param targetDir the folder to put it in; created when missing
     * @return {@code targetDir}, which the dataset's loader accepts
     * @throws CilException when the name is unknown, the network is unreachable, a download
     *     fails, a checksum does not match or an archive is corrupt
     */
    public Path fetch(String name, Path targetDir) {
        Source src = sources.get(name.toLowerCase(Locale.ROOT));
        if (src == null) {
            throw new CilException(
                    "cannot fetch '" + name + "': downloadable datasets are " + String.join(", ", names()));
        }
        if (isReady(src, targetDir)) {
            LOG.info("{} is already in {}", src.name(), targetDir);
            return targetDir;
        }
        try {
            Files.createDirectories(targetDir);
        } catch (IOException e) {
            throw new CilException("cannot create the data folder " + targetDir + ": " + e.getMessage(), e);
        }
        for (Download d : src.files()) {
            Path file = targetDir.resolve(d.fileName());
            boolean downloaded = false;
            if (Files.isRegularFile(file)) {
                String md5 = md5Of(file);
                if (!md5.equals(d.md5())) {
                    throw new CilException(file
                            + ": checksum mismatch: MD5 "
                            + md5
                            + ", expected "
                            + d.md5()
                            + "; the file is corrupt or not the official one: delete it and"
                            + " fetch again");
                }
                LOG.info("Using {} (checksum verified)", file);
            } else {
                download(src, d, file, targetDir);
                downloaded = true;
            }
            if (src.extract()) {
                extract(file, targetDir);
                if (downloaded) {
                    deleteQuietly(file);
                }
            }
        }
        if (!isReady(src, targetDir)) {
            throw new CilException("fetched "
                    + src.name()
                    + " into "
                    + targetDir
                    + " but "
                    + src.ready()
                    + " are still not all there: the archive has an unexpected layout");
        }
        return targetDir;
    }

    private static boolean isReady(Source src, Path dir) {
        for (String r : src.ready()) {
            if (!Files.exists(dir.resolve(r))) {
                return false;
            }
        }
        return true;
    }

    private String manual(Source src, Path targetDir) {
        StringBuilder sb = new StringBuilder("To get the files by hand, download ");
        for (int i = 0; i < src.files().size(); i++) {
            Download d = src.files().get(i);
            sb.append(i == 0 ? "" : ", ")
                    .append(d.uri())
                    .append(" (MD5 ")
                    .append(d.md5())
                    .append(')');
        }
        sb.append(" on a machine with internet access and put ")
                .append(src.files().size() == 1 ? "it" : "them")
                .append(" in ")
                .append(targetDir)
                .append(", then run `cil data fetch ")
                .append(src.name())
                .append(targetDir.equals(defaultDir(src.name())) ? "" : " --dir " + targetDir)
                .append("` again to verify")
                .append(src.extract() ? " and unpack" : "")
                .append(src.files().size() == 1 ? " it." : " them.");
        if (!src.hint().isEmpty()) {
            sb.append(' ').append(src.hint());
        }
        return sb.toString();
    }

    private void download(Source src, Download d, Path file, Path targetDir) {
        Path tmp = null;
        LOG.info("Downloading {}", d.uri());
        try {
            tmp = Files.createTempFile(targetDir, "." + d.fileName() + ".", ".part");
            URLConnection conn = d.uri().toURL().openConnection();
            conn.setConnectTimeout((int) connectTimeout.toMillis());
            conn.setReadTimeout((int) readTimeout.toMillis());
            long expectedLength = -1;
            if (conn instanceof HttpURLConnection http) {
                http.setInstanceFollowRedirects(true);
                int code = http.getResponseCode();
                if (code != HttpURLConnection.HTTP_OK) {
                    throw new CilException("cannot download "
                            + d.uri()
                            + ": the server answered HTTP "
                            + code
                            + ". "
                            + manual(src, targetDir));
                }
                expectedLength = http.getContentLengthLong();
            }
            MessageDigest md5 = md5();
            long n;
            try (InputStream in = new DigestInputStream(new BufferedInputStream(conn.getInputStream(), 1 << 16), md5);
                    FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                OutputStream out = Channels.newOutputStream(ch);
                n = in.transferTo(out);
                out.flush();
                ch.force(true);
            }
            if (expectedLength >= 0 && n != expectedLength) {
                throw new CilException("download of "
                        + d.uri()
                        + " was cut short: expected "
                        + expectedLength
                        + " bytes, received "
                        + n);
            }
            String got = HexFormat.of().formatHex(md5.digest());
            if (!got.equals(d.md5())) {
                throw new CilException("checksum mismatch for "
                        + d.uri()
                        + " (saved as "
                        + file
                        + "): MD5 "
                        + got
                        + ", expected "
                        + d.md5()
                        + "; the download is corrupt or the file"
                        + " changed upstream, so it was deleted");
            }
            DecodedCache.moveAtomically(tmp, file);
            tmp = null;
            DecodedCache.forceDir(targetDir);
        } catch (UnknownHostException | ConnectException | NoRouteToHostException e) {
            throw new CilException(
                    "cannot download "
                            + d.uri()
                            + ": the network is unreachable ("
                            + e
                            + "). "
                            + manual(src, targetDir),
                    e);
        } catch (SocketTimeoutException e) {
            throw new CilException(
                    "cannot download "
                            + d.uri()
                            + ": the network is unreachable or too slow (timed"
                            + " out: "
                            + e.getMessage()
                            + "). "
                            + manual(src, targetDir),
                    e);
        } catch (FileNotFoundException e) {
            throw new CilException("cannot download " + d.uri() + ": not found. " + manual(src, targetDir), e);
        } catch (IOException e) {
            throw new CilException("cannot download " + d.uri() + ": " + e + ". " + manual(src, targetDir), e);
        } finally {
            if (tmp != null) {
                deleteQuietly(tmp);
            }
        }
    }

    /**
     * Unpacks a tar.gz archive into a temporary folder next to its destination, then renames its
     * top-level entries into {@code targetDir}.
     */
    static void extract(Path archive, Path targetDir) {
        Path tmpDir = null;
        try {
            tmpDir = Files.createTempDirectory(targetDir, ".extract-");
            try (TarArchiveInputStream tar = new TarArchiveInputStream(
                    new GzipCompressorInputStream(new BufferedInputStream(Files.newInputStream(archive), 1 << 16)))) {
                TarArchiveEntry e;
                while ((e = tar.getNextEntry()) != null) {
                    Path out = tmpDir.resolve(e.getName()).normalize();
                    if (!out.startsWith(tmpDir) || (out.equals(tmpDir) && !e.isDirectory())) {
                        throw new CilException(archive + ": unsafe entry name '" + e.getName() + "'");
                    }
                    if (e.isDirectory()) {
                        Files.createDirectories(out);
                    } else if (e.isFile()) {
                        Files.createDirectories(out.getParent());
                        try (FileChannel ch =
                                FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                            tar.transferTo(Channels.newOutputStream(ch));
                            ch.force(true);
                        }
                    } else {
                        LOG.warn("{}: skipping entry {} (not a file or folder)", archive, e.getName());
                    }
                }
            }
            List<Path> top = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(tmpDir)) {
                ds.forEach(top::add);
            }
            for (Path p : top) {
                Path dest = targetDir.resolve(p.getFileName().toString());
                if (Files.exists(dest)) {
                    throw new CilException(dest
                            + " already exists but is incomplete or not the expected data;"
                            + " delete it and fetch again");
                }
            }
            for (Path p : top) {
                DecodedCache.moveAtomically(p, targetDir.resolve(p.getFileName().toString()));
            }
            DecodedCache.forceDir(targetDir);
        } catch (IOException e) {
            throw new CilException("cannot unpack " + archive + ": " + e.getMessage() + " (corrupt archive?)", e);
        } finally {
            if (tmpDir != null) {
                deleteTree(tmpDir);
            }
        }
    }

    private static String md5Of(Path file) {
        MessageDigest md5 = md5();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), md5)) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new CilException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return HexFormat.of().formatHex(md5.digest());
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is missing from this JVM", e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.warn("Could not delete {}: {}", p, e.toString());
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(DataFetcher::deleteQuietly);
        } catch (IOException e) {
            LOG.warn("Could not delete {}: {}", dir, e.toString());
        }
    }
}
