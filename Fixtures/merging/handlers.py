"""File handlers that start a new log file when the current one is full or old."""

import os
import time


class BaseRotatingHandler:
    """Writes records to a file and asks subclasses when to start a new file."""

    def __init__(self, filename, mode="a", encoding=None):
        self.filename = os.path.abspath(filename)
        self.mode = mode
        self.encoding = encoding
        self.stream = None

    def emit(self, record):
        """Write one record, starting a new file first when one is due."""
        if self.shouldRollover(record):
            self.doRollover()
        if self.stream is None:
            self.stream = open(self.filename, self.mode, encoding=self.encoding)
        self.stream.write(self.format(record) + "\n")
        self.stream.flush()

    def format(self, record):
        return str(record)


class RotatingFileHandler(BaseRotatingHandler):
    """Keeps a set of log files of bounded size: app.log, app.log.1, app.log.2 ..."""

    def __init__(self, filename, mode="a", maxBytes=0, backupCount=0, encoding=None):
        if maxBytes > 0:
            # Appending is the only mode that makes sense when files are rotated.
            mode = "a"
        BaseRotatingHandler.__init__(self, filename, mode, encoding)
        self.maxBytes = maxBytes
        self.backupCount = backupCount

    def doRollover(self):
        """Close the current file and shift the backups: app.log.1 becomes app.log.2."""
        if self.stream:
            self.stream.close()
            self.stream = None
        for i in range(self.backupCount - 1, 0, -1):
            source = "%s.%d" % (self.filename, i)
            target = "%s.%d" % (self.filename, i + 1)
            if os.path.exists(source):
                os.replace(source, target)
        if self.backupCount > 0 and os.path.exists(self.filename):
            os.replace(self.filename, self.filename + ".1")

    def shouldRollover(self, record):
        """Return True when writing the record would make the log file larger than maxBytes."""
        if self.maxBytes <= 0:
            return False
        if self.stream is None:
            self.stream = open(self.filename, self.mode, encoding=self.encoding)
        message = self.format(record) + "\n"
        self.stream.seek(0, 2)
        return self.stream.tell() + len(message) >= self.maxBytes


class TimedRotatingFileHandler(BaseRotatingHandler):
    """Starts a new log file at fixed intervals: every hour, every midnight, every week."""

    def __init__(self, filename, when="h", interval=1, backupCount=0, encoding=None):
        BaseRotatingHandler.__init__(self, filename, "a", encoding)
        self.when = when.upper()
        self.backupCount = backupCount
        seconds = {"S": 1, "M": 60, "H": 3600, "D": 86400, "MIDNIGHT": 86400, "W": 604800}
        self.interval = seconds[self.when] * interval
        self.rolloverAt = self.computeRollover(int(time.time()))

    def computeRollover(self, currentTime):
        """Work out the time of the next rollover from the current time."""
        result = currentTime + self.interval
        if self.when == "MIDNIGHT":
            day = time.localtime(currentTime)
            elapsed = (day.tm_hour * 60 + day.tm_min) * 60 + day.tm_sec
            result = currentTime - elapsed + 86400
        return result

    def shouldRollover(self, record):
        """Return True once the rollover time has passed."""
        return int(time.time()) >= self.rolloverAt

    def doRollover(self):
        """Rename the current file with a date suffix and open a new one."""
        if self.stream:
            self.stream.close()
            self.stream = None
        suffix = time.strftime("%Y-%m-%d_%H-%M-%S", time.localtime(self.rolloverAt - self.interval))
        os.replace(self.filename, self.filename + "." + suffix)
        self.rolloverAt = self.computeRollover(int(time.time()))
