package config

import (
	"encoding/json"
	"os"
)

// Config holds the server settings.
type Config struct {
	Port     int    `json:"port"`
	Database string `json:"database"`
}

// LoadConfig reads a JSON configuration file from disk and decodes it.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cfg Config
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, err
	}
	return &cfg, nil
}
