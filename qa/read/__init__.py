"""Read: turn the files of a documents folder into text."""
