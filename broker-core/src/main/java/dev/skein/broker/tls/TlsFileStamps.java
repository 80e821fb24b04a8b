package dev.skein.broker.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * When each TLS file last changed, as far as the file system says: modification time and size
 * (a rewrite within one timestamp tick usually changes the size). Compared between checks to
 * decide whether to read the files again.
 */
record TlsFileStamps(List<String> stamps) {

  static TlsFileStamps of(TlsConfig config) {
    return new TlsFileStamps(config.files().stream().map(TlsFileStamps::stamp).toList());
  }

  private static String stamp(Path file) {
    try {
      BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
      return attributes.lastModifiedTime() + "/" + attributes.size() + "/" + attributes.fileKey();
    } catch (IOException e) {
      // Missing for a moment during a replace: different from any stamp of a readable file.
      return "unreadable: " + e.getMessage();
    }
  }
}
