package dev.certflow.testkit;

import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Headless Chromium from the operating system's packages (Debian {@code chromium} and
 * {@code chromium-driver}) driven through Selenium's ChromeDriver. The driver and the browser are
 * given by path, so Selenium Manager is never asked to find or download either. Started with the
 * flags that keep it off the network ({@code --disable-background-networking} and friends) and a
 * fresh profile directory.
 */
public final class Chromium implements AutoCloseable {
    public static final String BINARY = System.getProperty("certflow.chromium", "/usr/bin/chromium");
    public static final String DRIVER = System.getProperty("webdriver.chrome.driver", "/usr/bin/chromedriver");
    public static final List<String> FLAGS = List.of("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
            "--disable-dev-shm-usage", "--lang=en-GB");

    private final ChromeDriver driver;
    private final Path screenshots;

    private Chromium(ChromeDriver driver, Path screenshots) {
        this.driver = driver;
        this.screenshots = screenshots;
    }

    /** Null when this machine has them both; else what is missing, for a test's skip message. */
    public static String missing() {
        boolean browser = Files.isExecutable(Path.of(BINARY));
        boolean driver = Files.isExecutable(Path.of(DRIVER));
        if (browser && driver) {
            return null;
        }
        return (browser ? "" : BINARY + " ") + (driver ? "" : DRIVER + " ")
                + "missing: install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)";
    }

    /**
     * Starts a browser with a new profile under {@code workDir} (for example {@code target/chromium})
     * and a window of the given size; screenshots go to {@code workDir/screenshots}.
     */
    public static Chromium start(Path workDir, int width, int height) {
        try {
            Files.createDirectories(workDir);
            Path profile = Files.createTempDirectory(workDir, "profile-");
            Path shots = Files.createDirectories(workDir.resolve("screenshots"));
            System.setProperty("webdriver.chrome.driver", DRIVER);
            ChromeOptions options = new ChromeOptions();
            options.setBinary(BINARY);
            options.addArguments(FLAGS);
            options.addArguments("--user-data-dir=" + profile.toAbsolutePath(), "--window-size=" + width + "," + height);
            ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(DRIVER)).usingAnyFreePort().build();
            return new Chromium(new ChromeDriver(service, options), shots);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public ChromeDriver driver() {
        return driver;
    }

    /** Saves a PNG of the window as {@code screenshots/<name>.png} and returns its path. */
    public Path screenshot(String name) {
        try {
            Path file = screenshots.resolve(name + ".png");
            Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        driver.quit();
    }
}
