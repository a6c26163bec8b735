"""Operations: system checks, audit rows, structured logs, and what the admin runs."""
